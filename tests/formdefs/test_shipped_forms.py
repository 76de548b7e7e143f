"""The forms in forms/: they load, follow the questionnaire's names, and their text views are current."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest

from survey_app.formdefs import shipped
from survey_app.formdefs.parser import load_form
from survey_app.formdefs.textview import dump, stale_views, text_view_path

#: The choice names fixed by the shared answer-set contract, per question.
FIXED_CHOICES = {
    "a6_internet": ["yes", "no"],
    "a10_home_support": ["yes", "no"],
    "b7_computer": ["yes", "no"],
    "v4_cashless": ["yes", "no"],
    "l5_tutor": ["yes", "no"],
    **{
        f"s{i}_{n}": ["yes", "no"]
        for i, n in enumerate(
            (
                "search",
                "verify",
                "videocall",
                "attach",
                "groups",
                "copy",
                "create",
                "spreadsheet",
                "code",
                "install",
                "connect",
                "shop",
                "learn",
                "security",
                "privacy",
            ),
            start=1,
        )
    },
    "a6b_why_not": ["no_need", "cost", "no_skill", "no_device", "no_coverage", "other"],
    "a7_connection": ["fibre_wifi", "mobile_data", "other"],
    "a8_devices": ["computer", "tablet", "smartphone", "smart_tv", "none"],
    "a9_poor": ["no", "near_poor", "poor"],
    "b0_respondent": ["self", "proxy"],
    "b2_sex": ["male", "female", "other"],
    "b3_occupation": [
        "student",
        "civil_servant",
        "enterprise_worker",
        "household_business",
        "agriculture",
        "freelance",
        "homemaker",
        "retired",
        "unemployed",
    ],
    **{
        f"b4_{d}": ["none", "some", "a_lot", "cannot"]
        for d in ("seeing", "hearing", "walking", "remembering", "selfcare", "communicating")
    },
    "b5_vulnerable": ["lives_alone", "ethnic_minority", "reading_difficulty", "none"],
    "b6_phone": ["none", "basic", "smartphone"],
    "b8_internet": ["never", "over_3_months", "last_3_months", "daily"],
    "v1_vneid": ["none", "level1", "level2", "unknown"],
    "v2_vneid_use": ["self", "needs_help", "not_used"],
    "v3_public_services": ["self", "helped", "in_person_only", "no_need"],
    "v5_scam": ["no", "targeted", "lost"],
    "v6_digital_signature": ["yes", "no", "unknown"],
    "l1_topics": ["m1", "m2", "m3", "m4", "m5", "m6", "m7", "m8", "none"],
    "l2_time": ["weekday_morning", "weekday_afternoon", "weekday_evening", "weekend"],
    "l3_place": ["community_house", "ward_point", "home", "online"],
    "l4_format": ["one_to_one", "small_group", "class", "zalo_video", "platform"],
}
HOUSEHOLD_PART = [
    "survey_year",
    "a1_group",
    "a2_address",
    "a3_head_name",
    "a4_phone",
    "a5_members",
    "a6_internet",
    "a6b_why_not",
    "a7_connection",
    "a8_devices",
    "a9_poor",
    "a10_home_support",
    "members",
]


def test_every_shipped_workbook_loads_cleanly():
    paths = shipped.workbooks()
    assert {p.name for p in paths} >= {"household_survey.xlsx", "support_event.xlsx"}
    for path in paths:
        loaded = load_form(path)
        assert loaded.ok and loaded.warnings == [], (path, [str(e) for e in loaded.errors], loaded.warnings)


def test_form_ids_versions_and_languages(household_form, support_form):
    for form, form_id in ((household_form, "household_survey"), (support_form, "support_event")):
        assert (form.form_id, form.version, form.origin) == (form_id, "2025.1", "shipped")
        assert form.schema.language_codes == ["vi", "en"]
        assert form.schema.default_language == "vi"


def test_household_part_and_member_repeat(household_form):
    schema = household_form.schema
    assert [f.name for f in schema.scope()] == HOUSEHOLD_PART
    members = schema.by_name["members"]
    assert members.type == "repeat" and schema.repeats == [members]
    names = [f.name for f in schema.scope(members)]
    assert names[:4] == ["b0_name", "b0_respondent", "b1_birth_year", "age"]
    assert {"age_group", "disability", "s15_privacy", "v6_digital_signature", "l5_tutor"} <= set(names)


def test_fixed_choice_names(household_form):
    schema = household_form.schema
    for name, choices in FIXED_CHOICES.items():
        item = schema.by_name[name]
        assert [c.name for c in schema.choices[item.list_name]] == choices, name
    assert schema.by_name["a6_internet"].list_name == "yes_no"
    assert schema.by_name["v6_digital_signature"].list_name == "yes_no_unknown"


def test_every_question_and_choice_speaks_vietnamese_and_english(household_form, support_form):
    for form in (household_form, support_form):
        for item in form.schema.walk():
            if item.type != "calculate":
                assert item.label.get("vi") and item.label.get("en"), item.name
        for choices in form.schema.choices.values():
            assert all(c.label.get("vi") and c.label.get("en") for c in choices)


def test_group_code_is_prefilled_and_read_only(household_form):
    a1 = household_form.schema.by_name["a1_group"]
    assert a1.read_only and a1.prefilled and a1.required is True and a1.type == "text"


def test_skip_rules_follow_the_questionnaire(household_form):
    by_name = household_form.schema.by_name
    assert by_name["a6b_why_not"].relevant == "${a6_internet} = 'no'"
    assert by_name["skills"].relevant == "${b8_internet} = 'last_3_months' or ${b8_internet} = 'daily'"
    assert by_name["s8_spreadsheet"].relevant == by_name["s9_code"].relevant == "${b7_computer} = 'yes'"
    assert "level2" in by_name["v2_vneid_use"].relevant
    assert all("l1_topics" in by_name[n].relevant for n in ("l2_time", "l3_place", "l4_format"))


def test_support_event_form(support_form):
    schema = support_form.schema
    assert [c.name for c in schema.choices["place"]] == ["home", "community_house", "service_centre", "other"]
    assert [c.name for c in schema.choices["outcome"]] == ["done", "partly", "follow_up"]
    assert len(schema.choices["support_type"]) == 9 and schema.choices["support_type"][-1].name == "other"
    assert schema.by_name["support_types"].type == "select_multiple"
    assert schema.by_name["person_id"].appearance == "household-member"


@pytest.mark.parametrize("path", shipped.workbooks(), ids=lambda p: p.name)
def test_text_view_is_a_fresh_dump_of_the_workbook(path):
    view = text_view_path(path)
    assert view.exists(), f"run `survey-app forms dump` to create {view.name}"
    assert view.read_text(encoding="utf-8") == dump(path), f"{view.name} is stale: run `survey-app forms dump`"


@pytest.mark.parametrize("path", shipped.workbooks(), ids=lambda p: p.name)
def test_text_view_reads_as_the_same_form(path):
    """The text view is pyxform markdown: it parses to exactly the workbook's schema."""
    from_text = load_form(text_view_path(path).read_bytes(), "form.md")
    assert from_text.ok, [str(e) for e in from_text.errors]
    assert from_text.schema.to_dict() == load_form(path).schema.to_dict()


def test_stale_views_are_found(tmp_path, monkeypatch):
    source = shipped.workbooks()[0]
    (tmp_path / source.name).write_bytes(source.read_bytes())
    monkeypatch.setattr("survey_app.formdefs.textview.FORMS_DIR", tmp_path)
    monkeypatch.setattr("survey_app.formdefs.textview.ARCHIVE_DIR", tmp_path / "archive")
    assert [p.name for p in stale_views()] == [source.with_suffix(".md").name]
    assert [p.name for p in stale_views(write=True)] == [source.with_suffix(".md").name]
    assert stale_views() == []


def test_cli_dump_check_passes_on_the_checked_in_views(runner):
    result = runner.invoke(args=["forms", "dump", "--check"])
    assert result.exit_code == 0, result.output


def test_cli_check_reports_problems(runner, tmp_path):
    bad = tmp_path / "bad.md"
    bad.write_text(
        "| survey |\n| | type | name |\n| | background-geopoint | track |\n| settings |\n| | form_id | version |\n| | x | 1 |\n",
        encoding="utf-8",
    )
    result = runner.invoke(args=["forms", "check", str(bad), str(shipped.workbooks()[0])])
    assert result.exit_code == 1
    assert "bad.md: survey:2:type" in result.output and "background-geopoint" in result.output
    assert "household_survey 2025.1" in result.output


def test_xform_is_made_by_pyxform(household_form):
    root = ET.fromstring(household_form.xform)
    ns = {"h": "http://www.w3.org/1999/xhtml", "x": "http://www.w3.org/2002/xforms"}
    instance = root.find("h:head/x:model/x:instance/x:data", ns)
    assert instance.get("id") == "household_survey" and instance.get("version") == "2025.1"
    assert instance.find("x:members", ns) is not None
    assert root.find("h:head/h:title", ns).text == household_form.title


def test_shipped_forms_are_parsed_once(household_form):
    assert shipped.current("household_survey") is household_form


def test_threads_asking_for_a_workbook_at_once_parse_it_once(monkeypatch):
    """A cold server's first batches arrive together: one thread parses, the others wait for it."""
    import threading

    path = shipped.workbooks()[0]
    parses = []
    real_load = shipped.load_form

    def counted(workbook):
        parses.append(workbook)
        return real_load(workbook)

    monkeypatch.setattr(shipped, "load_form", counted)
    monkeypatch.setitem(shipped._CACHE, path, (-1, None))  # stale: the next ask parses again
    start = threading.Barrier(4)
    forms = []

    def ask():
        start.wait()
        forms.append(shipped.load_shipped(path))

    threads = [threading.Thread(target=ask) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert parses == [path]
    assert len(forms) == 4 and all(form is forms[0] for form in forms)


def test_a_gunicorn_worker_parses_the_shipped_forms_as_it_starts(monkeypatch):
    from survey_app import gunicorn_conf

    monkeypatch.setattr(shipped, "_CACHE", {})
    gunicorn_conf.post_worker_init(worker=None)
    assert set(shipped._CACHE) == set(shipped.workbooks(shipped.ARCHIVE_DIR) + shipped.workbooks())
