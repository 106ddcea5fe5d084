"""The public charter page: every article readable in Arabic and English, without signing in."""

from __future__ import annotations

import pytest
from django.utils.html import escape

from partners.models import CharterVersion
from tests.factories import ensure_seed_data

from .conftest import url

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("language", ["ar", "en"])
def test_anyone_reads_every_article_in_both_languages(client, language):
    ensure_seed_data()
    version = CharterVersion.objects.get(is_current=True)
    answer = client.get(url("portal:charter", language))
    assert answer.status_code == 200
    page = answer.content.decode()
    for article in version.articles.all():
        assert f'id="article-{article.number}"' in page
        assert escape(article.title_ar) in page and escape(article.title) in page
    assert 'lang="ar" dir="rtl"' in page and 'lang="en" dir="ltr"' in page
    heading = "ميثاق الشراكة" if language == "ar" else "Partnership Charter"
    assert heading in page
    # linked from the navigation on every page
    assert url("portal:charter", language) in client.get(url("portal:transparency", language)).content.decode()
