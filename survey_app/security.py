"""HTTP security headers, set in one place for every response; where a redirect may go."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import request

CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; "
    "connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'self'; "
    "form-action 'self'; frame-ancestors 'none'"
)
#: Endpoints whose answers hold no personal data and may be kept by the browser: the static files
#: (the phone's app shell among them) and the service worker script, which sets its own "no-cache".
CACHEABLE_ENDPOINTS = frozenset({"static", "collection.service_worker"})


def set_security_headers(response):
    response.headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
    response.headers.setdefault("X-Frame-Options", "DENY")
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("Referrer-Policy", "same-origin")
    if request.endpoint not in CACHEABLE_ENDPOINTS:
        # Pages, JSON, downloads and error pages alike: nothing of a person stays in a browser's or proxy's cache.
        response.headers["Cache-Control"] = "no-store"
    return response


def safe_next(target: str | None) -> str | None:
    """Only same-site relative paths are followed after a form (login, a team page's actions)."""
    if not target:
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return None
    return target
