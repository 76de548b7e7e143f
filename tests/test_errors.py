"""Errors are clear Vietnamese pages or JSON, never a stack trace."""

import pytest

from tests.conftest import app_for, login


def test_unknown_url_is_a_vietnamese_404_page(client):
    response = client.get("/khong/co/trang/nay")
    html = response.get_data(as_text=True)
    assert response.status_code == 404
    assert "Trang hoặc mục này không tồn tại." in html and "Traceback" not in html


def test_unknown_api_url_is_json(client):
    response = client.get("/api/khong-co")
    assert response.status_code == 404
    assert response.get_json() == {"error": {"status": 404, "message": "Trang hoặc mục này không tồn tại."}}


def test_method_not_allowed(client):
    response = client.get("/logout")
    assert response.status_code == 405
    assert "Không được phép thực hiện thao tác này" in response.get_data(as_text=True)


def test_unexpected_error_hides_the_trace(fresh_database_url):
    other = app_for(fresh_database_url)

    @other.route("/boom")
    def boom():
        raise RuntimeError("secret internal detail")

    @other.route("/api/boom")
    def api_boom():
        raise RuntimeError("secret internal detail")

    other.testing = False  # as in production: no exception propagation
    client = other.test_client()
    page = client.get("/boom")
    assert page.status_code == 500
    assert "Máy chủ gặp sự cố" in page.get_data(as_text=True)
    assert "secret internal detail" not in page.get_data(as_text=True)
    api = client.get("/api/boom")
    assert api.status_code == 500 and "secret" not in api.get_data(as_text=True)


def test_oversized_body_is_refused(app, client):
    app.config["MAX_CONTENT_LENGTH"] = 1000
    try:
        response = client.post("/login", data={"username": "x" * 5000, "password": "y"})
        assert response.status_code == 413
        assert "quá lớn" in response.get_data(as_text=True)
    finally:
        app.config["MAX_CONTENT_LENGTH"] = 16 * 1024 * 1024


@pytest.mark.parametrize("path", ["/login", "/ward"])
def test_security_headers_on_every_response(client, world, path):
    login(client, "admin_a")
    headers = client.get(path).headers
    assert "frame-ancestors 'none'" in headers["Content-Security-Policy"]
    assert "script-src 'self'" in headers["Content-Security-Policy"]
    assert headers["X-Frame-Options"] == "DENY" and headers["X-Content-Type-Options"] == "nosniff"


def test_the_favicon_is_served_on_every_page(client):
    icon = client.get("/favicon.ico")
    assert icon.status_code == 200 and icon.mimetype == "image/svg+xml" and b"<svg" in icon.data
    page = client.get("/login").get_data(as_text=True)
    assert 'rel="icon" href="/static/favicon.svg"' in page
