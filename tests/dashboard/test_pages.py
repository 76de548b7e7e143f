"""The dashboard page itself: numbers rendered server-side, base-map configuration, no inline code."""

import re

from survey_app import create_app
from survey_app.extensions import db
from tests.conftest import login
from tests.dashboard.helpers import OFFLINE, SKILLED, interview


def test_page_shows_the_numbers_and_the_targets(client, world):
    interview(world.hh_a1, [SKILLED, OFFLINE], surveyor=world.surveyor_1)
    db.session.commit()
    login(client, "admin_a")
    client.get("/lang/en")
    html = client.get("/dashboard").get_data(as_text=True)
    assert re.search(r'data-figure="interviewed"><span class="value">1<', html)
    assert re.search(r'data-figure="people"><span class="value">2<', html)
    assert "<script>" not in html and "style=" not in html
    html = client.get(f"/dashboard/ward/{world.ward_a.id}/indicators").get_data(as_text=True)
    assert re.search(r'data-figure="proxy"><span class="value">1<', html)
    vneid = re.search(r'<tr data-indicator="vneid_level2">.*?</tr>', html, re.S).group(0)
    assert 'data-n="1" data-of="2"' in vneid and "≥ 82%" in vneid and "target-missed" in vneid
    signature = re.search(r'<tr data-indicator="digital_signature">.*?</tr>', html, re.S).group(0)
    assert "≥ 50%" in signature and "target-met" in signature
    assert "<script>" not in html and "style=" not in html


def test_breakdown_tabs(client, world):
    interview(world.hh_a1, [SKILLED, OFFLINE])
    db.session.commit()
    login(client, "admin_a")
    page = f"/dashboard/ward/{world.ward_a.id}/indicators"
    html = client.get(f"{page}?by=sex").get_data(as_text=True)
    assert 'data-bucket="female"' in html and 'data-bucket="male"' in html
    fallback = client.get(f"{page}?by=nonsense")  # falls back to groups
    assert fallback.status_code == 200 and f'data-bucket="{world.hh_a1.residential_group_id}"' in fallback.get_data(as_text=True)


def test_tile_url_is_optional_configuration(app, client, world, monkeypatch):
    login(client, "admin_a")
    world.group_a1.boundary = {"type": "Polygon", "coordinates": [[[106, 20], [106.01, 20], [106.01, 20.01], [106, 20]]]}
    db.session.commit()
    response = client.get("/dashboard")
    assert 'data-tile-url=""' in response.get_data(as_text=True)
    assert "img-src 'self' data: blob:;" in response.headers["Content-Security-Policy"]
    monkeypatch.setitem(app.config, "MAP_TILE_URL", "https://{s}.tiles.example.vn/{z}/{x}/{y}.png")
    response = client.get("/dashboard")
    assert 'data-tile-url="https://{s}.tiles.example.vn/{z}/{x}/{y}.png"' in response.get_data(as_text=True)
    assert "img-src 'self' data: blob: https://*.tiles.example.vn;" in response.headers["Content-Security-Policy"]


def test_tile_url_comes_from_the_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("SURVEY_INSTANCE_PATH", str(tmp_path))
    monkeypatch.setenv("SURVEY_MAP_TILE_URL", "https://tiles.example.vn/{z}/{x}/{y}.png")
    assert create_app().config["MAP_TILE_URL"] == "https://tiles.example.vn/{z}/{x}/{y}.png"
    monkeypatch.delenv("SURVEY_MAP_TILE_URL")
    assert create_app().config["MAP_TILE_URL"] == ""
