"""QR codes for printed cards and posters, and the absolute links they carry."""

from __future__ import annotations

import base64

import qrcode
import qrcode.image.svg
from flask import current_app, url_for


def absolute_url(endpoint: str, **values) -> str:
    """An absolute link for a printed QR code: PUBLIC_BASE_URL if configured, else this request's host."""
    base = current_app.config.get("PUBLIC_BASE_URL")
    if base:
        return base.rstrip("/") + url_for(endpoint, **values)
    return url_for(endpoint, _external=True, **values)


def qr_svg(text: str) -> bytes:
    """The QR code of `text` as an SVG document (crisp on paper, no image library needed)."""
    code = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M, border=2, image_factory=qrcode.image.svg.SvgPathImage)
    code.add_data(text)
    code.make(fit=True)
    return code.make_image().to_string()


def qr_data_uri(text: str) -> str:
    """An <img src> for the QR code of `text` (the CSP allows data: images)."""
    return "data:image/svg+xml;base64," + base64.b64encode(qr_svg(text)).decode("ascii")
