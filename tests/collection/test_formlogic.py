"""The phone's form logic (JS, under Node) and the server's validation agree on the real household form:
what the phone finalizes passes the server, and what it flags the server flags too."""

import copy
import json
import subprocess
from datetime import date
from pathlib import Path

import pytest

from survey_app.formdefs import shipped
from survey_app.formdefs.layout import client_json
from survey_app.formdefs.validation import complete, validate

SCRIPT = Path(__file__).with_name("formlogic_cases.mjs")
TODAY = date.today()


def adult(name, born, **extra):
    member = {
        "b0_name": name,
        "b0_respondent": "self",
        "b1_birth_year": born,
        "b2_sex": "female",
        "b3_occupation": "retired",
        "b6_phone": "smartphone",
        "b7_computer": "no",
        "b8_internet": "never",
        "v1_vneid": "level2",
        "v2_vneid_use": "self",
        "v3_public_services": "helped",
        "v4_cashless": "yes",
        "v5_scam": "no",
        "l1_topics": ["m3"],
        "l2_time": ["weekend"],
        "l3_place": "community_house",
        "l4_format": "small_group",
    }
    member.update({f"b4_{d}": "none" for d in ("seeing", "hearing", "walking", "remembering", "selfcare", "communicating")})
    member.update(extra)
    return member


SKILLS = {
    s: "yes"
    for s in (
        "s1_search",
        "s2_verify",
        "s3_videocall",
        "s4_attach",
        "s5_groups",
        "s6_copy",
        "s7_create",
        "s10_install",
        "s11_connect",
        "s12_shop",
        "s13_learn",
        "s14_security",
        "s15_privacy",
    )
}
HOUSEHOLD = {
    "a1_group": "TDP01",
    "a2_address": "Số 1",
    "a3_head_name": "Lê Văn A",
    "a5_members": 2,
    "a6_internet": "yes",
    "a7_connection": ["fibre_wifi"],
    "a8_devices": ["smartphone"],
    "a9_poor": "no",
    "a10_home_support": "no",
}


def cases():
    full = {
        **HOUSEHOLD,
        "members": [
            adult("An", TODAY.year - 70),
            adult("Bình", TODAY.year - 20, b8_internet="daily", b7_computer="yes", s8_spreadsheet="no", s9_code="no", **SKILLS),
        ],
    }
    stale = copy.deepcopy(full)  # answers left behind by changed minds must not be sent
    stale.update(a6_internet="no", a6b_why_not=["cost"])
    stale["members"][0].update(s1_search="yes", v1_vneid="none", l1_topics=["none"])
    missing = copy.deepcopy(full)
    del missing["a9_poor"], missing["members"][1]["s3_videocall"]
    wrong = copy.deepcopy(full)
    wrong.update(a5_members=0, a8_devices=["none", "smartphone"], a4_phone="12345")
    wrong["members"][0].update(b1_birth_year=TODAY.year - 5, l1_topics=["m1", "m2", "m3", "m4"])
    return [full, stale, missing, wrong]


@pytest.fixture(scope="module")
def form():
    return shipped.current("household_survey")


def run_phone(schema_json, raw_cases, last_saved=None, today=None):
    done = subprocess.run(
        ["node", "--experimental-default-type=module", str(SCRIPT)],
        input=json.dumps({"schema": schema_json, "cases": raw_cases, "last_saved": last_saved, "today": today}),
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    return json.loads(done.stdout)


LAST_SAVED_FORM = """| survey |
| | type | name | label | calculation |
| | text | village | Village | |
| | calculate | same_village | | if(${village} = ${last-saved#village}, 'yes', 'no') |
| | calculate | previous | | ${last-saved#village} |
| settings |
| | form_id | version |
| | last_saved | 1 |
"""


def test_the_phone_reads_its_last_saved_record(app):
    """${last-saved#name} reads the phone's last saved record of the form (empty on its first record)."""
    from survey_app.formdefs.parser import load_form

    loaded = load_form(LAST_SAVED_FORM.encode(), "last_saved.md")
    assert loaded.ok, [str(e) for e in loaded.errors]
    with app.test_request_context():
        schema_json = client_json(loaded.schema, "vi")
    (first,) = run_phone(schema_json, [{"village": "Đông Hải"}])
    assert first["answers"]["same_village"] == "no" and "previous" not in first["answers"]
    again, other = run_phone(schema_json, [{"village": "Đông Hải"}, {"village": "Tây Hải"}], last_saved={"village": "Đông Hải"})
    assert (again["answers"]["same_village"], again["answers"]["previous"]) == ("yes", "Đông Hải")
    assert other["answers"]["same_village"] == "no"


def test_a_record_fixed_later_keeps_the_day_it_was_filled_in(app):
    """A record sent back and fixed a year on: today() (and so every age) is the interview's day."""
    from survey_app.formdefs.parser import load_form

    text = (
        "| survey |\n| | type | name | label | calculation |\n| | integer | born | Born | |\n"
        "| | calculate | age | | int(format-date(today(), '%Y')) - ${born} |\n"
        "| settings |\n| | form_id | version |\n| | fixed_later | 1 |\n"
    )
    loaded = load_form(text.encode(), "fixed_later.md")
    assert loaded.ok, [str(e) for e in loaded.errors]
    with app.test_request_context():
        schema_json = client_json(loaded.schema, "vi")
    (then,) = run_phone(schema_json, [{"born": 1970}], today="2025-08-20")
    (now,) = run_phone(schema_json, [{"born": 1970}])
    assert then["answers"]["age"] == 55 and now["answers"]["age"] == date.today().year - 1970


def test_phone_and_server_agree(app, form):
    with app.test_request_context():
        schema_json = client_json(form.schema, "vi")
    raw_cases = cases()
    results = run_phone(schema_json, raw_cases)
    for raw, result in zip(raw_cases, results):
        sent = result["answers"]
        server = validate(form.schema, sent, "en", today=TODAY)
        assert {(e["field"], e["index"], e["code"]) for e in server} == {
            (p["field"], p["index"], p["code"]) for p in result["problems"]
        }, raw
        assert sent == complete(form.schema, sent, today=TODAY)  # calculations and relevance as the server has them
    full, stale, missing, wrong = results
    assert full["problems"] == [] and full["answers"]["members"][1]["age_group"] == "15_24"
    assert stale["problems"] == [] and "a7_connection" not in stale["answers"]
    assert "s1_search" not in stale["answers"]["members"][0] and "v2_vneid_use" not in stale["answers"]["members"][0]
    assert {(p["field"], p["index"]) for p in missing["problems"]} == {("a9_poor", None), ("s3_videocall", 1)}
    assert {p["field"] for p in wrong["problems"]} == {"a5_members", "a8_devices", "a4_phone", "b1_birth_year", "l1_topics"}


PATHS_FORM = """| survey |
| | type | name | label | calculation | choice_filter |
| | select_one yn | a | A | | true() |
| | begin repeat | people | People | | |
| | integer | age | Age | | |
| | integer | pet_count | Pets | | |
| | calculate | pos | | position(..) | |
| | calculate | previous_age | | ${people}[position() = position(current()/..) - 1]/age | |
| | end repeat | | | | |
| | calculate | total_pets | | sum(${people}[age < 18]/pet_count) | |
| | calculate | oldest | | max(${age}) | |
| | calculate | first_age | | indexed-repeat(${age}, ${people}, 1) | |
| | calculate | how_many | | count(${people}) | |
| | calculate | a_label | | instance('yn')/root/item[name = ${a}]/label | |
| | calculate | a_name | | jr:choice-name(${a}, '${a}') | |
| | calculate | ages | | join(', ', ${age}) | |
| choices |
| | list_name | name | label |
| | yn | yes | Có |
| | yn | no | Không |
| settings |
| | form_id | version |
| | paths | 1 |
"""


def test_phone_and_server_agree_on_paths_lookups_and_repeat_functions(app):
    """The same form's calculations with paths, instance lookups and repeat functions, on both sides."""
    from survey_app.formdefs.parser import load_form

    loaded = load_form(PATHS_FORM.encode(), "paths.md")
    assert loaded.ok, [str(e) for e in loaded.errors]
    with app.test_request_context():
        schema_json = client_json(loaded.schema, "vi")
    raw = {"a": "no", "people": [{"age": 10, "pet_count": 2}, {"age": 30, "pet_count": 5}, {"age": 12, "pet_count": 1}]}
    phone = run_phone(schema_json, [raw])[0]["answers"]
    server = complete(loaded.schema, raw, today=TODAY)
    assert phone == server
    assert (server["total_pets"], server["oldest"], server["first_age"], server["how_many"]) == (3, 30, 10, 3)
    assert (server["a_label"], server["a_name"], server["ages"]) == ("Không", "Không", "10, 30, 12")
    assert [p.get("previous_age") for p in server["people"]] == [None, 10, 30]
    assert [p["pos"] for p in server["people"]] == [1, 2, 3]


STRUCTURE = Path(__file__).resolve().parents[1] / "formdefs" / "examples" / "nested_repeats.md"


def structure_cases():
    full = {
        "a1_group": "TDP01",
        "village": "Đông Hải",
        "plots": 2,
        "remark": "Đất tốt",
        "person": [
            {"pname": "An", "works": "yes", "job": [{"jname": "Dạy học", "jhours": 20}]},
            {"pname": "Bình", "works": "no"},
        ],
        "plot": [{"crop": "lúa"}, {"crop": "ngô"}],
        "meal": [{"eaters": 4}, {"eaters": 5}],
    }
    changed = copy.deepcopy(full)  # minds changed: Bình's jobs no longer apply, one plot fewer, a nested error
    changed.update(plots=1)
    changed["person"][1]["job"] = [{"jname": "Lái xe", "jhours": 40}]
    changed["person"][0]["job"].append({"jname": "Bán hàng", "jhours": 200})
    no_plots = copy.deepcopy(full)
    no_plots.update(plots=0)
    return [full, changed, no_plots]


def test_phone_and_server_agree_on_nested_repeats_and_counts(app):
    from survey_app.formdefs.parser import load_form

    schema = load_form(STRUCTURE).schema
    with app.test_request_context():
        schema_json = client_json(schema, "vi")
    raw_cases = structure_cases()
    results = run_phone(schema_json, raw_cases)
    for result in results:
        sent = result["answers"]
        server = validate(schema, sent, "en", today=TODAY)
        assert {(e["field"], e["index"], tuple(e.get("path") or ()), e["code"]) for e in server} == {
            (p["field"], p["index"], tuple(p["path"] or ()), p["code"]) for p in result["problems"]
        }
        assert sent == complete(schema, sent, today=TODAY)
    full, changed, no_plots = results
    assert full["problems"] == [] and full["answers"]["person"][0]["job"][0]["jlabel"] == "An: Dạy học"
    assert "job" not in changed["answers"]["person"][1]  # the nested repeat no longer applies: not sent
    assert {(p["field"], tuple(p["path"] or ()), p["code"]) for p in changed["problems"]} == {
        ("jhours", (0, 1), "constraint"),
        ("plot", (), "constraint"),
    }
    assert "remark" not in no_plots["answers"]  # the group that needs plots no longer applies


def test_the_phone_fits_entries_to_the_repeat_count(app):
    from survey_app.formdefs.parser import load_form

    schema = load_form(STRUCTURE).schema
    with app.test_request_context():
        schema_json = client_json(schema, "vi")
    raw_cases = structure_cases()
    raw_cases[0]["plots"] = 3  # one entry more is wanted
    del raw_cases[2]["meal"]  # a loop gets an entry per choice
    done = subprocess.run(
        ["node", "--experimental-default-type=module", str(SCRIPT)],
        input=json.dumps({"schema": schema_json, "cases": raw_cases, "fit": True}),
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    more, fewer, none = json.loads(done.stdout)
    assert more["fitted"] and more["raw"]["plot"] == [{"crop": "lúa"}, {"crop": "ngô"}, {}]
    assert {(p["field"], tuple(p["path"] or ())) for p in more["problems"]} == {("crop", (2,))}
    assert fewer["raw"]["plot"] == [{"crop": "lúa"}]  # the last entries go
    assert none["raw"]["plot"] == [] and none["answers"]["plot"] == []
    assert none["raw"]["meal"] == [{}, {}]
    assert not any(p["field"] == "plot" for r in (more, fewer, none) for p in r["problems"])


def run_flow(schema_json, raw, walks):
    done = subprocess.run(
        ["node", "--experimental-default-type=module", str(SCRIPT.with_name("formflow_cases.mjs"))],
        input=json.dumps({"schema": schema_json, "raw": raw, "walks": walks}),
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    return json.loads(done.stdout)


def test_the_screens_of_nested_and_counted_repeats_come_in_form_order(app):
    from survey_app.formdefs.parser import load_form

    with app.test_request_context():
        schema_json = client_json(load_form(STRUCTURE).schema, "vi")
    raw = structure_cases()[0]
    raw["person"][1]["works"] = "no"
    sections = [
        "h",
        "h1",
        "person:0~p0",
        "person:0~p1",
        "person:0~job:0~p0",
        "person:1~p0",
        "h2",
        "plot:1~p0",
        "h3",
        "h4",
        "r",
        "person:7~p0",
        "h99",
    ]
    result = run_flow(schema_json, raw, sections)
    assert result["pages"] == {
        "": ["q:a1_group,village,plots", "l:person", "l:plot", "q:remark", "l:meal"],
        "person": ["q:pname,works", "l:job"],
        "job": ["q:jname,jhours,jlabel"],
        "plot": ["q:crop"],
        "meal": ["q:eaters"],
    }
    walks = {w["section"]: (w["at"], w["next"], w["back"]) for w in result["walks"]}
    assert walks["h"] == ("h", "h1", None)
    assert walks["h1"] == ("h1", "h2", "h")
    assert walks["person:0~p0"] == ("person:0~p0", "person:0~p1", "h1")  # An works: her jobs come next
    assert walks["person:0~p1"] == ("person:0~p1", "h1", "person:0~p0")
    assert walks["person:0~job:0~p0"] == ("person:0~job:0~p0", "person:0~p1", "person:0~p1")
    assert walks["person:1~p0"] == ("person:1~p0", "h1", "h1")  # Bình does not: back to the people
    assert walks["plot:1~p0"] == ("plot:1~p0", "h2", "h2")
    assert walks["h4"] == ("h4", "r", "h3") and walks["r"] == ("r", None, "h4")
    assert walks["person:7~p0"][0] == "h1"  # no such entry: its repeat's list
    assert walks["h99"][0] == "h"
    raw["plots"] = 0  # no plots: neither the plots' list nor the notes group apply
    walks = {w["section"]: (w["at"], w["next"], w["back"]) for w in run_flow(schema_json, raw, ["h1", "h4"])["walks"]}
    assert walks["h1"][1] == "h4" and walks["h4"][2] == "h1"


def test_the_household_forms_sections_keep_their_names(app, form):
    with app.test_request_context():
        schema_json = client_json(form.schema, "vi")
    raw = cases()[0]
    result = run_flow(schema_json, raw, ["h", "m", "m1", "r", "m9"])
    assert result["pages"][""][-1] == "l:members" and len(result["pages"]["members"]) == 1
    assert [(w["at"], w["next"], w["back"]) for w in result["walks"]] == [
        ("h", "m", None),
        ("m", "r", "h"),
        ("m1", "m", "m"),
        ("r", None, "m"),
        ("m", "r", "h"),
    ]


TRIGGER_FORM = """| survey |
| | type | name | label | calculation | trigger |
| | integer | visits | Visits | | |
| | text | note_visits | Note | concat('visits: ', ${visits}) | ${visits} |
| | calculate | changed_at | | concat('at ', ${visits}) | ${visits} |
| settings |
| | form_id | version |
| | triggers | 1 |
"""

FIRE = """
import { readFileSync } from "node:fs";
import { FormModel } from "%s";
const { schema } = JSON.parse(readFileSync(0, "utf8"));
const model = new FormModel(schema);
const raw = {};
const steps = [];
const out = [];
model.evaluate(raw);
out.push(model.fire("visits", steps, raw));       // nothing typed yet: the calculations give ''
raw.visits = 2;
model.evaluate(raw);
out.push(model.fire("visits", steps, raw));
out.push({ ...raw });
raw.note_visits = "typed by hand";              // the surveyor's own text stays until the trigger changes again
out.push(model.evaluate(raw).answers);
raw.visits = 3;
model.evaluate(raw);
model.fire("visits", steps, raw);
out.push(model.evaluate(raw).answers);
process.stdout.write(JSON.stringify(out));
"""


def test_a_trigger_sets_a_value_once_per_change_on_the_phone_and_the_server_keeps_it(app, tmp_path):
    """ODK's trigger column: when ${visits} changes, note_visits and changed_at take their calculation's
    value once; the surveyor may then change the question; the server keeps the values sent."""
    from survey_app.formdefs.parser import load_form

    loaded = load_form(TRIGGER_FORM.encode(), "triggers.md")
    assert loaded.ok, [str(e) for e in loaded.errors]
    with app.test_request_context():
        schema_json = client_json(loaded.schema, "vi")
    script = tmp_path / "fire.mjs"
    script.write_text(FIRE % (Path(__file__).resolve().parents[2] / "static/js/phone/formlogic.js").as_uri())
    done = subprocess.run(
        ["node", str(script)], input=json.dumps({"schema": schema_json}), capture_output=True, text=True, check=True, timeout=60
    )
    empty, first, raw, typed, again = json.loads(done.stdout)
    assert empty == ["note_visits", "changed_at"] and first == ["note_visits", "changed_at"]
    assert raw == {"visits": 2, "note_visits": "visits: 2", "changed_at": "at 2"}
    assert typed == {"visits": 2, "note_visits": "typed by hand", "changed_at": "at 2"}
    assert again == {"visits": 3, "note_visits": "visits: 3", "changed_at": "at 3"}
    sent = {"visits": 3, "note_visits": "typed by hand", "changed_at": "at 2"}  # not recomputed by the server
    assert validate(loaded.schema, sent, "en", today=TODAY) == [] and complete(loaded.schema, sent, today=TODAY) == sent
