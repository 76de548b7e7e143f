"""Vietnamese first, English selectable, locale formats, and a complete compiled catalog."""

import re
from datetime import date
from pathlib import Path

from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po
from flask_babel import force_locale, format_date, format_decimal

from survey_app.translations import catalog
from tests.conftest import login

VI_PO = Path(catalog.HERE) / "vi" / "LC_MESSAGES" / "messages.po"
VI_MO = VI_PO.with_suffix(".mo")


def test_vietnamese_is_the_default_and_english_is_selectable(client, world):
    assert "Đăng nhập" in client.get("/login").get_data(as_text=True)
    client.get("/lang/en")
    html = client.get("/login").get_data(as_text=True)
    assert "Log in" in html and "Đăng nhập" not in html
    client.get("/lang/vi")
    assert "Đăng nhập" in client.get("/login").get_data(as_text=True)


def test_unknown_language_is_ignored(client):
    client.get("/lang/xx")
    assert "Đăng nhập" in client.get("/login").get_data(as_text=True)


def test_language_choice_survives_logout(client, world):
    client.get("/lang/en")
    login(client, "admin_a")
    assert "Ward overview" in client.get("/ward").get_data(as_text=True)


def test_vietnamese_number_and_date_formats(app):
    with app.test_request_context("/"), force_locale("vi"):
        assert format_decimal(12345) == "12.345"
        assert format_decimal(1234567.891) == "1.234.567,891"
        assert format_date(date(2025, 8, 29), "long") == "29 tháng 8, 2025"


def test_numbers_on_pages_use_the_locale(client, world):
    world.group_a1.expected_households = 12345
    from survey_app.extensions import db

    db.session.commit()
    login(client, "admin_a")
    assert "12.345" in client.get("/ward").get_data(as_text=True)
    client.get("/lang/en")
    assert "12,345" in client.get("/ward").get_data(as_text=True)


def test_every_message_is_translated_to_vietnamese(tmp_path):
    """Every string marked in the code has a Vietnamese translation in the catalog."""
    pot = tmp_path / "messages.pot"
    catalog.extract(pot)
    with pot.open("rb") as f:
        wanted = {m.id for m in read_po(f) if m.id}
    with VI_PO.open("rb") as f:
        vi = read_po(f)
    translated = {m.id for m in vi if m.id and m.string and "fuzzy" not in m.flags}
    missing = sorted(str(m) for m in wanted - translated)
    assert not missing, f"untranslated messages (run catalog update, then translate): {missing}"


def test_translations_keep_the_placeholders():
    """A Vietnamese text that drops or renames %(name)s would break the page at run time."""
    placeholder = re.compile(r"%\(\w+\)[sd]")
    with VI_PO.open("rb") as f:
        broken = [
            m.id
            for m in read_po(f)
            if m.id and m.string and sorted(placeholder.findall(str(m.id))) != sorted(placeholder.findall(str(m.string)))
        ]
    assert not broken, f"placeholders differ in: {broken}"


def test_compiled_catalog_matches_the_po_file():
    """The install ships compiled catalogs; they must be in step with the .po."""
    with VI_PO.open("rb") as f:
        po = {m.id: m.string for m in read_po(f) if m.id and m.string}
    with VI_MO.open("rb") as f:
        mo = {m.id: m.string for m in read_mo(f) if m.id}
    assert po == mo, "run: python -m survey_app.translations.catalog compile"
