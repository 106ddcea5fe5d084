"""/api/: the schema and its viewers, and /api/v1/ with the generic endpoints plus each workflow's.

A workflow exposes its endpoints by providing ``<app>.api.urls`` with ``urlpatterns``; they are
mounted under /api/v1/ here, so a new workflow needs no change in this package.
"""

from __future__ import annotations

import importlib
import importlib.util

from django.apps import apps
from django.urls import URLPattern, URLResolver, include, path, re_path
from drf_spectacular.utils import extend_schema, extend_schema_view
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerView

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


v1 = [
    path("auth/token/", ObtainTokenView.as_view(), name="auth-token"),
    path("auth/token/rotate/", RotateTokenView.as_view(), name="auth-token-rotate"),
    *workflow_urls(),
    re_path(r"", errors.not_found),
]

urlpatterns = [
    path("schema/", SchemaView.as_view(), name="schema"),
    path("docs/", SpectacularSwaggerView.as_view(url_name="api:schema"), name="docs"),
    path("redoc/", SpectacularRedocView.as_view(url_name="api:schema"), name="redoc"),
    path("v1/", include(v1)),
    re_path(r"", errors.not_found),
]
