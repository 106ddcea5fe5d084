"""Production profile: secure cookies, HSTS, a required secret key; passes check --deploy."""

from __future__ import annotations

import os

from django.core.exceptions import ImproperlyConfigured

from . import *  # noqa: F403
from . import STORAGES

DEBUG = False
SECRET_KEY = os.environ.get("SECRET_KEY", "")
if len(SECRET_KEY) < 50:
    raise ImproperlyConfigured("Set SECRET_KEY to a random string of at least 50 characters.")

# Absolute links in emails: the public https:// address (SITE_URL, else the first ALLOWED_HOSTS entry).
_first_host = next(iter(ALLOWED_HOSTS), "localhost").lstrip(".")  # noqa: F405 - ".example.org" allows subdomains
SITE_URL = os.environ.get("SITE_URL", "").rstrip("/") or f"https://{_first_host}"

# Behind a TLS proxy: it must set X-Forwarded-Proto (https), or every request is redirected to https://.
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = True
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
SECURE_HSTS_SECONDS = 31536000
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = True
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"
# Production serves what collectstatic gathered (hashed, compressed names).
WHITENOISE_USE_FINDERS = False
STORAGES = {**STORAGES, "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"}}
