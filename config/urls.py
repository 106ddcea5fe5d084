from __future__ import annotations

from django.conf.urls.i18n import i18n_patterns
from django.contrib import admin
from django.http import HttpRequest, HttpResponsePermanentRedirect
from django.templatetags.static import static
from django.urls import include, path


def favicon(request: HttpRequest) -> HttpResponsePermanentRedirect:
    """Browsers ask for /favicon.ico on their own: the portal's icon, served locally."""
    return HttpResponsePermanentRedirect(static("portal/favicon.svg"))


urlpatterns = [
    path("favicon.ico", favicon),
    path("i18n/", include("django.conf.urls.i18n")),
    path("api/", include("api.urls")),
]
urlpatterns += i18n_patterns(
    path("admin/", admin.site.urls),
    # before the portal: /transparency/results/ and the open-data files are not request references
    path("", include("workflows.outcomes.urls")),
    path("", include("portal.urls")),
    path("notifications/", include("notify.urls")),
    path("membership/", include("workflows.accession.urls")),
    prefix_default_language=False,
)
