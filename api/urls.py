"""/api/: the schema and its viewers, and /api/v1/ with the generic endpoints plus each workflow's.

A workflow exposes its endpoints by providing ``<app>.api.urls`` with ``urlpatterns``; they are
mounted under /api/v1/ here, so a new workflow needs no change in this package.
"""

from __future__ import annotations

import importlib
import importlib.util

from csp.constants import SELF, UNSAFE_INLINE
from csp.decorators import csp_update
from django.apps import apps
from django.urls import URLPattern, URLResolver, include, path, re_path
from django.utils.decorators import method_decorator
from drf_spectacular.utils import extend_schema, extend_schema_view
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerSplitView

from . import errors
from .auth import ObtainTokenView, RotateTokenView

app_name = "api"


def workflow_url_modules() -> list[object]:
    """The ``api.urls`` module of every installed app that has one."""
    modules = []
    for config in apps.get_app_configs():
        module_name = f"{config.name}.api.urls"
        try:
            found = importlib.util.find_spec(module_name)
        except ModuleNotFoundError:
            found = None
        if found is not None:
            modules.append(importlib.import_module(module_name))
    return modules


def workflow_urls() -> list[URLPattern | URLResolver]:
    """``urlpatterns`` of every installed app's ``api.urls``."""
    return [pattern for module in workflow_url_modules() for pattern in module.urlpatterns]


@extend_schema_view(get=extend_schema(exclude=True))
class SchemaView(SpectacularAPIView):
    """The OpenAPI document (not itself an operation of the API)."""


# The viewers' pages get what each needs on top of the site's strict Content-Security-Policy, no more:
# Swagger UI loads its start-up script from a URL of its own (no inline script) and shows data: icons;
# ReDoc injects its styles at run time (styled-components) and runs its search in a blob: worker.
DOCS_CSP = {"img-src": [SELF, "data:"]}
REDOC_CSP = {"img-src": [SELF, "data:"], "style-src": [SELF, UNSAFE_INLINE], "worker-src": [SELF, "blob:"]}


@method_decorator(csp_update(DOCS_CSP), name="dispatch")
class SwaggerView(SpectacularSwaggerSplitView):
    template_name = "api/swagger_ui.html"


@method_decorator(csp_update(REDOC_CSP), name="dispatch")
class RedocView(SpectacularRedocView):
    template_name = "api/redoc.html"


v1 = [
    path("auth/token/", ObtainTokenView.as_view(), name="auth-token"),
    path("auth/token/rotate/", RotateTokenView.as_view(), name="auth-token-rotate"),
    *workflow_urls(),
    re_path(r"", errors.not_found),
]

urlpatterns = [
    path("schema/", SchemaView.as_view(), name="schema"),
    path("docs/", SwaggerView.as_view(url_name="api:schema"), name="docs"),
    path("redoc/", RedocView.as_view(url_name="api:schema"), name="redoc"),
    path("v1/", include(v1)),
    re_path(r"", errors.not_found),
]
