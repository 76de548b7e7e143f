"""Plan targets as data: defaults, the city's, the ward's; every reader measures a ward against its own."""

import re

import pytest

from survey_app import disclosure
from survey_app.dashboard.indicators import INDICATORS
from survey_app.extensions import db
from survey_app.wards import targets
from tests.conftest import login
from tests.exports.helpers import export, open_workbook, records


def test_defaults_are_the_city_plans():
    assert targets.DEFAULTS == {
        "vneid_account": 0.82,
        "vneid_level2": 0.82,
        "public_services_any": 0.84,
        "digital_signature": 0.50,
    }


def test_every_targetable_key_is_a_share_of_the_dashboard():
    keys = {i.key for i in INDICATORS}
    assert set(targets.TARGETABLE) <= keys
    assert "scam_exposed" not in targets.TARGETABLE and "scam_lost" not in targets.TARGETABLE  # less is better


def test_ward_beats_city_beats_default_key_by_key():
    city = {"vneid_level2": 0.9, "cashless": 0.6}
    ward = {"vneid_level2": 0.95}
    found = targets.effective(city, ward)
    assert found["vneid_level2"] == 0.95  # the ward's
    assert found["cashless"] == 0.6  # the city's
    assert found["digital_signature"] == 0.5  # the default
    assert "smartphone" not in found  # nobody set one
    assert targets.effective(None, None) == targets.DEFAULTS


def test_stored_junk_is_ignored():
    stored = {"vneid_level2": 1.5, "cashless": "0.7", "nonsense": 0.5, "smartphone": True, "internet_user": 0.4}
    assert targets.clean(stored) == {"internet_user": 0.4}
    assert targets.clean(["not", "a", "dict"]) == {}


@pytest.mark.parametrize(
    "typed, share",
    [("82", 0.82), ("82,5", 0.825), ("82.5", 0.825), (" 82,5 % ", 0.825), ("0", 0.0), ("100", 1.0), ("", None), ("  ", None)],
)
def test_percentages_typed_the_vietnamese_way(typed, share):
    assert targets.parse_percent(typed) == share


@pytest.mark.parametrize("typed", ["150", "100,01", "-5", "abc", "8 2", "1e2", "82,5,1"])
def test_bad_percentages_are_refused(typed):
    with pytest.raises(targets.TargetError):
        targets.parse_percent(typed)


def test_shares_are_shown_as_typed():
    assert targets.percent_text(0.825) == "82,5"
    assert targets.percent_text(0.82) == "82"
    assert targets.percent_text(1.0, ".") == "100"
    assert targets.percent_text(None) == ""


def _indicator_row(html: str, key: str) -> str:
    return re.search(rf'<tr data-indicator="{key}">.*?</tr>', html, re.S).group(0)


def test_dashboard_and_its_json_use_the_wards_targets(client, answered):
    w = answered
    w.city.plan_targets = {"vneid_level2": 0.4, "cashless": 0.3}
    w.ward_a.plan_targets = {"digital_signature": 0.6}
    db.session.commit()
    login(client, "admin_a")
    client.get("/lang/en")
    html = client.get(f"/dashboard/ward/{w.ward_a.id}/indicators").get_data(as_text=True)
    vneid = _indicator_row(html, "vneid_level2")  # 50 % against the city's 40 %: met
    assert "≥ 40%" in vneid and "target-met" in vneid
    signature = _indicator_row(html, "digital_signature")  # 50 % against the ward's 60 %: missed
    assert "≥ 60%" in signature and "target-missed" in signature
    assert "≥ 30%" in _indicator_row(html, "cashless")
    assert "data-target" not in _indicator_row(html, "smartphone")
    overview = client.get("/dashboard").get_data(as_text=True)  # the same targets as bullet charts
    bullets = {
        key: css
        for css, key in re.findall(r'<li class="bullet (target-met|target-missed)[^"]*" data-indicator="(\w+)"', overview)
    }
    assert bullets["vneid_level2"] == "target-met" and bullets["digital_signature"] == "target-missed"
    assert set(bullets) == {"vneid_account", "vneid_level2", "public_services_any", "digital_signature", "cashless"}
    data = client.get(f"/api/dashboard/wards/{w.ward_a.id}/indicators").get_json()
    assert data["targets"]["vneid_level2"] == 0.4 and data["targets"]["digital_signature"] == 0.6
    assert data["targets"]["vneid_account"] == 0.82 and data["targets"]["cashless"] == 0.3


def test_city_rollup_measures_each_ward_against_its_own(client, answered, monkeypatch):
    monkeypatch.setattr(disclosure, "THRESHOLD", 0)  # no suppression: shares of 1 to 3 people; small cells: tests/hardening
    w = answered
    w.city.plan_targets = {"vneid_level2": 0.7}
    w.ward_b.plan_targets = {"vneid_level2": 0.9}
    db.session.commit()
    login(client, "city_viewer")
    data = client.get("/api/dashboard/city").get_json()
    rows = {row["id"]: row for row in data["wards"]}
    assert rows[w.ward_a.id]["targets"]["vneid_level2"] == 0.7 and rows[w.ward_b.id]["targets"]["vneid_level2"] == 0.9
    assert data["targets"]["vneid_level2"] == 0.7 and data["targets"]["digital_signature"] == 0.5
    client.get("/lang/en")
    html = client.get("/dashboard/city").get_data(as_text=True)
    row_a = re.search(rf'<tr data-ward-id="{w.ward_a.id}">.*?</tr>', html, re.S).group(0)
    row_b = re.search(rf'<tr data-ward-id="{w.ward_b.id}">.*?</tr>', html, re.S).group(0)
    assert re.search(r'class="target target-missed" data-target="0.7">≥ 70%', row_a)  # 1 of 2
    assert re.search(r'class="target target-met" data-target="0.9">≥ 90%', row_b)  # 1 of 1
    total = re.search(r"<tfoot>.*?</tfoot>", html, re.S).group(0)
    assert re.search(r'class="target target-missed" data-target="0.7">≥ 70%', total)  # 2 of 3


def test_workbook_summary_has_the_scoped_wards_targets(answered, tmp_path):
    w = answered
    w.city.plan_targets = {"cashless": 0.45}
    w.ward_a.plan_targets = {"vneid_level2": 0.875}
    db.session.commit()
    summary = {row["Mã chỉ tiêu"]: row for row in records(open_workbook(export(w.admin_a, tmp_path)), "Tổng hợp")}
    assert summary["vneid_level2"]["Mục tiêu kế hoạch"] == pytest.approx(0.875)
    assert summary["cashless"]["Mục tiêu kế hoạch"] == pytest.approx(0.45)
    assert summary["public_services_any"]["Mục tiêu kế hoạch"] == pytest.approx(0.84)
    assert summary["smartphone"]["Mục tiêu kế hoạch"] is None
    other = {row["Mã chỉ tiêu"]: row for row in records(open_workbook(export(w.admin_b, tmp_path, name="b")), "Tổng hợp")}
    assert other["vneid_level2"]["Mục tiêu kế hoạch"] == pytest.approx(0.82)  # ward B keeps the default
