"""Item 5: oversized bodies are refused at the front door (413, before reading); office files that
would inflate like a zip bomb are refused; JSON over the limit gets the documented 413 at every size."""

from __future__ import annotations

import io
import json
import zipfile

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test.client import FakePayload
from django.urls import reverse
from django.utils import translation

from engine.models import AuditEvent
from tests.workflows.partnership.conftest import draft

pytestmark = pytest.mark.django_db

MB = 1024 * 1024


def _upload_url(case, language="en"):
    with translation.override(language):
        return reverse("portal:request_attachment_upload", kwargs={"reference": case.reference})


class _Unread(FakePayload):
    """A body that fails the test if anything reads it."""

    def read(self, *args, **kwargs):
        raise AssertionError("the body was read")


def _declared(client, method, path, length, content_type, **extra):
    """A request that declares ``length`` bytes without sending them: only the front door may answer."""
    environ = {
        "REQUEST_METHOD": method,
        "PATH_INFO": path,
        "CONTENT_TYPE": content_type,
        "CONTENT_LENGTH": str(length),
        "wsgi.input": _Unread(b""),
        **extra,
    }
    return client.request(**environ)


def test_a_100_mb_upload_is_refused_before_its_body_is_read(client, partnership_world, settings, tmp_path):
    # given
    settings.MEDIA_ROOT = tmp_path
    case = draft(partnership_world)
    client.force_login(partnership_world.cso_coordinator)
    # when
    response = _declared(client, "POST", _upload_url(case), 100 * MB, "multipart/form-data; boundary=x")
    # then
    assert response.status_code == 413
    assert "too large" in response.content.decode()
    assert "default-src 'self'" in response["Content-Security-Policy"]
    assert not case.attachments.exists()


def test_the_refusal_page_speaks_arabic(client, partnership_world):
    case = draft(partnership_world)
    client.force_login(partnership_world.cso_coordinator)
    response = _declared(client, "POST", _upload_url(case, "ar"), 100 * MB, "multipart/form-data; boundary=x")
    assert response.status_code == 413
    assert 'lang="ar"' in response.content.decode()
    assert "كبير" in response.content.decode()


@pytest.mark.parametrize("size", [1 * MB + 1, 2 * MB, int(2.6 * MB), 5 * MB, 30 * MB])
def test_json_over_the_limit_is_a_413_at_every_size(client_for, partnership_world, size):
    client = client_for(partnership_world.cso_coordinator)
    body = json.dumps({"title": "x" * size}).encode()
    response = client.generic("POST", "/api/v1/requests/", body, content_type="application/json")
    assert response.status_code == 413, response.content[:200]
    assert response.json()["code"] == "too_large"


def test_json_over_the_limit_is_refused_unread_and_in_the_callers_language(client):
    response = _declared(client, "POST", "/api/v1/requests/", 50 * MB, "application/json", HTTP_ACCEPT_LANGUAGE="ar")
    assert response.status_code == 413
    assert response.json()["code"] == "too_large"
    assert response.json()["message"] != "The request body is too large."


def test_a_body_within_the_limit_still_reaches_the_view(client_for, partnership_world):
    from tests.workflows.partnership.conftest import request_data

    client = client_for(partnership_world.cso_coordinator)
    data = request_data(partnership_world, summary="s" * (MB // 2))
    assert client.post("/api/v1/requests/", data, format="json").status_code in (201, 400)


def _docx(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        archive.writestr("[Content_Types].xml", b"<Types/>")
        archive.writestr("word/document.xml", b"<w:document/>")
        for name, content in members.items():
            archive.writestr(name, content)
    return buffer.getvalue()


def _post_docx(client, world, content, name="report.docx"):
    case = draft(world)
    client.force_login(world.cso_coordinator)
    upload = SimpleUploadedFile(name, content, content_type="application/octet-stream")
    return case, client.post(_upload_url(case), {"file": upload}, headers={"HX-Request": "true"})


def test_a_docx_that_inflates_to_300_mb_is_refused(client, partnership_world, settings, tmp_path):
    # given: about 300 KB that inflates to 300 MB (the probe's file)
    settings.MEDIA_ROOT = tmp_path
    bomb = _docx({"word/media/padding.bin": b"\0" * (300 * MB)})
    assert len(bomb) < 400 * 1024
    # when
    case, response = _post_docx(client, partnership_world, bomb)
    # then
    assert response.status_code == 400
    assert "expands to 300 MB" in response.content.decode()
    assert not case.attachments.exists()
    assert not AuditEvent.objects.filter(case_id=case.pk, action="document_added").exists()


def test_a_docx_compressed_beyond_belief_is_refused_even_when_small(client, partnership_world, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    case, response = _post_docx(client, partnership_world, _docx({"word/media/pad.bin": b"\0" * (60 * MB)}))
    assert response.status_code == 400
    assert "possible zip bomb" in response.content.decode()
    assert not case.attachments.exists()


def test_a_docx_that_lies_about_its_sizes_is_refused(client, partnership_world, settings, tmp_path):
    # given: a member whose header declares 1 KB but which inflates to 5 MB
    settings.MEDIA_ROOT = tmp_path
    content = bytearray(_docx({"word/media/pad.bin": b"\0" * (5 * MB)}))
    for signature, size_offset in ((b"PK\x03\x04", 22), (b"PK\x01\x02", 24)):
        start = 0
        while (start := content.find(signature, start)) != -1:
            name_length = int.from_bytes(content[start + size_offset + 4 : start + size_offset + 6], "little")
            header = 30 if signature == b"PK\x03\x04" else 46
            if content[start + header : start + header + name_length] == b"word/media/pad.bin":
                content[start + size_offset : start + size_offset + 4] = (1024).to_bytes(4, "little")
            start += 4
    # when
    case, response = _post_docx(client, partnership_world, bytes(content))
    # then
    assert response.status_code == 400
    assert not case.attachments.exists()


def test_an_ordinary_docx_is_accepted_even_when_its_text_compresses_well(client, partnership_world, settings, tmp_path):
    # given: a text-only document of repeated paragraphs (about 300:1, 9 MB expanded)
    settings.MEDIA_ROOT = tmp_path
    paragraph = b"<w:p><w:r><w:t>The parties agreed on two follow-up steps.</w:t></w:r></w:p>"
    case, response = _post_docx(client, partnership_world, _docx({"word/styles.xml": paragraph * 120_000}))
    assert response.status_code == 200, response.content[:300]
    assert case.attachments.count() == 1


def test_the_settings_are_set():
    from django.conf import settings

    assert settings.DATA_UPLOAD_MAX_MEMORY_SIZE == settings.API_MAX_BODY_BYTES
    assert settings.FILE_UPLOAD_MAX_MEMORY_SIZE <= 2_621_440
