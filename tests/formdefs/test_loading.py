"""Loading XLSForms: what is not supported is refused, naming the sheet, row and column."""

from __future__ import annotations

import unicodedata
from io import BytesIO

import openpyxl
import pytest

from survey_app.formdefs.messages import LOAD, render
from survey_app.formdefs.parser import load_form
from survey_app.formdefs.xform import pyxform_error

SETTINGS = "| settings |\n| | form_id | version |\n| | test_form | 1 |\n"


def md(survey: str, choices: str = "", settings: str = SETTINGS) -> bytes:
    """A pyxform markdown form; survey and choices are table rows without the sheet line."""
    text = "| survey |\n" + survey
    if choices:
        text += "| choices |\n" + choices
    return (text + settings).encode()


def load(data: bytes, filename: str = "form.md"):
    return load_form(data, filename)


def refusal(data: bytes, filename: str = "form.md"):
    """The single error of a refused form, as (code, sheet, row, column, message)."""
    loaded = load(data, filename)
    assert not loaded.ok and loaded.schema is None
    assert len(loaded.errors) == 1, [str(e) for e in loaded.errors]
    error = loaded.errors[0]
    return error.code, error.sheet, error.row, error.column, error.message


YES_NO = "| | list_name | name | label |\n| | yn | yes | Yes |\n| | yn | no | No |\n"


def test_a_small_form_loads():
    loaded = load(md("| | type | name | label |\n| | integer | age | Age |\n"))
    assert loaded.ok and loaded.schema.form_id == "test_form" and loaded.schema.version == "1"
    assert loaded.schema.by_name["age"].type == "integer"
    assert "<h:html" in loaded.xform


def test_unknown_question_type():
    code, sheet, row, column, message = refusal(md("| | type | name | label |\n| | text | a | A |\n| | integr | age | Age |\n"))
    assert (code, sheet, row, column) == ("unknown_type", "survey", 3, "type")
    assert "integr" in message


@pytest.mark.parametrize("kind", ["background-geopoint", "xml-external", "select_one_external x or_other"])
def test_known_but_unsupported_question_type(kind):
    code, sheet, row, column, message = refusal(md(f"| | type | name | label |\n| | {kind} | q | Q |\n"))
    assert (code, sheet, row, column) == ("unsupported_type", "survey", 2, "type")
    assert kind in message


def test_unknown_function_names_sheet_row_and_column():
    code, sheet, row, column, message = refusal(
        md("| | type | name | label | relevant |\n| | text | a | A | |\n| | text | b | B | foo(${a}) = 1 |\n")
    )
    assert (code, sheet, row, column) == ("expr_unknown_function", "survey", 3, "relevant")
    assert "foo()" in message


@pytest.mark.parametrize(
    "constraint, code",
    [
        (". >", "expr_end"),
        ("(. > 1", "expr_end"),
        (". > 1)", "expr_syntax"),
        ("'open", "expr_unterminated"),
        ("/data/a/@id > 1", "expr_path"),
        ("count(//a) > 1", "expr_path"),
        ("a > 1", "expr_bare_name"),
        (". > ${a}[1", "expr_end"),
        ("jr:choice-name(.) = 1", "expr_arity"),
        ("selected(.)", "expr_arity"),
        (". # 1", "expr_bad_char"),
    ],
)
def test_expression_syntax_errors(constraint, code):
    refused = refusal(md(f"| | type | name | label | constraint |\n| | integer | a | A | {constraint} |\n"))
    assert refused[:4] == (code, "survey", 2, "constraint")


def test_expression_error_in_calculation_and_choice_filter():
    assert refusal(md("| | type | name | calculation |\n| | calculate | c | 1 + |\n"))[:4] == (
        "expr_end",
        "survey",
        2,
        "calculation",
    )
    refused = refusal(md("| | type | name | label | choice_filter |\n| | select_one yn | a | A | name = |\n", YES_NO))
    assert refused[:4] == ("expr_end", "survey", 2, "choice_filter")


@pytest.mark.parametrize("header", ["bind::odk:length", "autoplay", "rows", "sms_field"])
def test_a_column_only_odk_collect_uses_is_kept_with_a_warning(header):
    loaded = load(md(f"| | type | name | label | {header} |\n| | text | a | A | 5 |\n"))
    assert loaded.ok, loaded.errors
    assert any(w.startswith(f"survey, {header}: ") and "ODK Collect" in w for w in loaded.warnings), loaded.warnings
    assert header.split("::")[-1] in loaded.xform or header in ("sms_field",)


def test_an_unknown_column_is_ignored_with_a_warning_as_pyxform_does():
    loaded = load(md("| | type | name | label | lable |\n| | text | a | A | typo |\n"))
    assert loaded.ok and [f.name for f in loaded.schema.fields] == ["a"]
    assert any("lable" in warning and warning.startswith("survey, lable") for warning in loaded.warnings)


@pytest.mark.parametrize(
    "header, code",
    [
        ("relevant::English (en)", "untranslatable"),
    ],
)
def test_unsupported_columns(header, code):
    refused = refusal(md(f"| | type | name | label | {header} |\n| | text | a | A | x |\n"))
    assert refused[:4] == (code, "survey", 1, header)


@pytest.mark.parametrize(
    "setting, code",
    [("public_key", "unencrypted"), ("submission_url", "ignored_setting"), ("allow_choice_duplicates", "ignored_setting")],
)
def test_a_setting_only_odk_collect_uses_is_kept_with_a_warning(setting, code):
    settings = f"| settings |\n| | form_id | version | {setting} |\n| | f | 1 | abc |\n"
    loaded = load(md("| | type | name | label |\n| | text | a | A |\n", settings=settings))
    assert loaded.ok, loaded.errors
    assert [w for w in loaded.warnings if w.startswith(f"settings, {setting}: ")] == [
        f"settings, {setting}: " + render(LOAD[code], header=setting)
    ]


def test_a_sheet_pyxform_ignores_is_ignored_with_a_warning():
    data = md("| | type | name | label |\n| | text | a | A |\n") + "| notes |\n| | a | b |\n| | 1 | 2 |\n".encode()
    loaded = load(data)
    assert loaded.ok and any(warning.startswith("notes: ") for warning in loaded.warnings)


def test_workbook_without_survey_sheet():
    workbook = openpyxl.Workbook()
    workbook.active.title = "Sheet1"
    workbook.create_sheet("Sheet2")
    buffer = BytesIO()
    workbook.save(buffer)
    loaded = load(buffer.getvalue(), "form.xlsx")
    assert [e.code for e in loaded.errors] == ["no_survey"]


@pytest.mark.parametrize(
    "data", [b"", b"not a spreadsheet at all, just text, with commas, four", b"PK\x03\x04broken zip", bytes(range(256))]
)
def test_corrupt_or_non_xlsform_upload(data):
    code, sheet, row, column, message = refusal(data, "upload.xlsx")
    assert (code, sheet, row, column) == ("not_xlsform", None, None, None)
    assert ".xlsx" in message


@pytest.mark.parametrize(
    "survey, code, row, column, named",
    [
        (
            "| | type | name | label | relevant |\n| | text | a | A | ${nothere} = 1 |\n",
            "unknown_field",
            2,
            "relevant",
            "nothere",
        ),
        (
            "| | type | name | label | relevant |\n| | begin group | g | G | |\n| | text | a | A | ${g} = 1 |\n"
            "| | end group | | | |\n",
            "not_a_question",
            3,
            "relevant",
            "g",
        ),
        (
            "| | type | name | label | relevant |\n| | begin repeat | r | R | |\n| | text | a | A | |\n"
            "| | end repeat | | | |\n| | text | b | B | ${a} = 'x' |\n",
            "outside_repeat",
            5,
            "relevant",
            "a",
        ),
        ("| | type | name | label |\n| | text | a | Hello ${who} |\n", "unknown_field", 2, "label", "who"),
    ],
)
def test_references_must_reach_a_question(survey, code, row, column, named):
    refused = refusal(md(survey))
    assert refused[:4] == (code, "survey", row, column) and named in refused[4]


def test_structure_errors():
    assert refusal(md("| | type | name | label |\n| | text | a | A |\n| | text | a | A again |\n"))[:4] == (
        "duplicate_name",
        "survey",
        3,
        "name",
    )
    assert refusal(md("| | type | name | label |\n| | select_one colours | a | A |\n"))[:4] == (
        "missing_list",
        "survey",
        2,
        "type",
    )
    assert refusal(md("| | type | name | label |\n| | begin group | g | G |\n| | text | a | A |\n"))[:4] == (
        "unclosed",
        "survey",
        2,
        "type",
    )
    assert refusal(md("| | type | name | label |\n| | text | a | A |\n| | end group | | |\n"))[:4] == (
        "unmatched_end",
        "survey",
        3,
        "type",
    )
    assert refusal(md("| | type | name | label |\n| | text | | A |\n"))[:4] == ("missing_name", "survey", 2, "name")
    assert refusal(md("| | type | name | label |\n| | text | 2nd | A |\n"))[:4] == ("bad_name", "survey", 2, "name")
    assert refusal(md("| | type | name | label |\n| | | a | A |\n"))[:4] == ("missing_type", "survey", 2, "type")


def test_calculations_may_not_depend_on_themselves():
    refused = refusal(md("| | type | name | calculation |\n| | calculate | x | ${y} + 1 |\n| | calculate | y | ${x} + 1 |\n"))
    assert refused[:2] == ("cycle", "survey") and refused[3] == "calculation"


def test_invalid_regex_pattern():
    refused = refusal(md("| | type | name | label | constraint |\n| | text | a | A | regex(., '[0-9') |\n"))
    assert refused[:4] == ("bad_regex", "survey", 2, "constraint")


def test_read_only_must_be_yes_or_no():
    refused = refusal(md("| | type | name | label | read_only |\n| | text | a | A | ${a} = 1 |\n"))
    assert refused[:4] == ("yes_no", "survey", 2, "read_only")


def test_choice_filter_columns():
    """As in XPath, a column the choices sheet lacks reads as empty: a warning, not a refusal; extra
    columns of the choices sheet (Kobo's, or ones for later filters) are kept without a word."""
    loaded = load(
        md(
            "| | type | name | label | choice_filter |\n| | select_one c | q | Q | area = 'x' |\n",
            "| | list_name | name | label |\n| | c | a | A |\n",
        )
    )
    assert loaded.ok and loaded.warnings == ["survey, choice_filter: " + render(LOAD["unknown_filter_column"], name="area")]
    choices = "| | list_name | name | label | region | label::English |\n| | c | a | A | north | A |\n"
    loaded = load(md("| | type | name | label | choice_filter |\n| | select_one c | q | Q | region != '' |\n", choices))
    assert loaded.ok and not [w for w in loaded.warnings if "choice" in w], loaded.warnings
    assert loaded.schema.choices["c"][0].extra["region"] == "north"
    # 'label::English' is an axis to XPath (ODK Validate refuses it), not a column
    refused = refusal(
        md("| | type | name | label | choice_filter |\n| | select_one c | q | Q | label::English != '' |\n", choices)
    )
    assert refused[:4] == ("filter_axis", "survey", 2, "choice_filter")


def test_settings_default_as_pyxform_does(monkeypatch):
    from datetime import datetime, timezone

    from survey_app.formdefs import sheets

    monkeypatch.setattr(sheets, "utcnow", lambda: datetime(2026, 12, 2, 1, 2, 3, tzinfo=timezone.utc))
    survey = "| | type | name | label |\n| | text | a | A |\n"
    loaded = load(md(survey, settings=""), "Khảo sát hộ (bản 2).md")  # no settings sheet at all
    assert loaded.ok, [str(e) for e in loaded.errors]
    assert (loaded.schema.form_id, loaded.schema.version) == ("Khảo_sát_hộ_bản_2", "20261202010203")
    assert '<data id="Khảo_sát_hộ_bản_2" version="20261202010203"' in loaded.xform  # the XForm agrees
    only_id = load(md(survey, settings="| settings |\n| | form_id |\n| | f |\n"))
    assert (only_id.schema.form_id, only_id.schema.version) == ("f", "20261202010203")
    only_version = load(md(survey, settings="| settings |\n| | version |\n| | 7 |\n"), "2024 survey.md")
    assert (only_version.schema.form_id, only_version.schema.version) == ("form_2024_survey", "7")


@pytest.mark.parametrize("version", ["2024-04-02 00:00:00", "1 2", "v3 (tháng 9)"])
def test_any_version_string_pyxform_takes_is_taken(version):
    loaded = load(
        md(
            "| | type | name | label |\n| | text | a | A |\n",
            settings=f"| settings |\n| | form_id | version |\n| | f | {version} |\n",
        )
    )
    assert loaded.ok and loaded.schema.version == version and f'version="{version}"' in loaded.xform


@pytest.mark.parametrize("version", ["1/2", "x" * 41, "current"])
def test_a_version_with_a_slash_or_too_long_is_refused(version):
    refused = refusal(
        md(
            "| | type | name | label |\n| | text | a | A |\n",
            settings=f"| settings |\n| | form_id | version |\n| | f | {version} |\n",
        )
    )
    assert refused[:4] == ("bad_version", "settings", 2, "version")


def test_pyxform_refusals_are_reported_with_their_row():
    code, sheet, row, _column, message = refusal(
        md("| | type | name | label |\n| | select_one yn | q | Q |\n", YES_NO + "| | yn | yes | Again |\n")
    )
    assert (code, sheet, row) == ("pyxform", "choices", 4) and "unique" in message
    code, sheet, row, _column, message = refusal(md("| | type | name |\n| | text | q |\n"))
    assert (code, sheet, row) == ("pyxform", "survey", 2) and "label" in message


def test_several_problems_are_reported_together():
    loaded = load(md("| | type | name | label | relevant |\n| | integr | a | A | |\n| | text | b | B | foo() |\n"))
    assert [(e.code, e.row) for e in loaded.errors] == [("unknown_type", 2), ("expr_unknown_function", 3)]


def test_vietnamese_messages_in_a_vietnamese_request(app):
    """FormError messages are lazy: rendered in the request's language."""
    from flask_babel import force_locale

    error = load(md("| | type | name | label |\n| | integr | a | A |\n")).errors[0]
    with app.test_request_context("/"), force_locale("en"):
        assert error.message == "Unknown question type 'integr'."


def test_older_spellings_pyxform_still_reads():
    """'select one from x or specify other', 'q int', single-colon 'label:English', 'bind:relevant'."""
    survey = (
        "| | type | name | label:English | label:Vietnamese | bind:relevant |\n"
        "| | select one from yn or specify other | a | A? | A hả? | |\n"
        "| | q int | b | B | B | ${a} = 'yes' |\n"
        "| | select all that apply from yn | c | C | C | |\n"
        "| | get start time | started | | | |\n"
    )
    loaded = load(md(survey, "| | list name | name | label:English |\n| | yn | yes | Yes |\n| | yn | no | No |\n"))
    assert loaded.ok, [str(e) for e in loaded.errors]
    fields = {f.name: f for f in loaded.schema.walk()}
    assert [(n, f.type) for n, f in fields.items()] == [
        ("a", "select_one"),
        ("a_other", "text"),
        ("b", "integer"),
        ("c", "select_multiple"),
        ("started", "start"),
    ]
    assert fields["a"].or_other and fields["a"].label == {"English": "A?", "Vietnamese": "A hả?"}
    assert fields["b"].relevant == "${a} = 'yes'"
    assert loaded.schema.choices["yn"][0].label == {"English": "Yes"}


def test_comment_rows_and_unnamed_notes_as_pyxform_reads_them():
    survey = (
        "| | type | name | label | _category |\n| | | | | Background |\n| | note | | Read this first | |\n| | text | a | A | |\n"
    )
    loaded = load(md(survey))
    assert loaded.ok, [str(e) for e in loaded.errors]
    assert [f.name for f in loaded.schema.fields] == ["generated_note_name_3", "a"]
    assert any(w.startswith("survey: ") and w.endswith(render(LOAD["comment_row"])) for w in loaded.warnings)
    assert refusal(md("| | type | name | label |\n| | | a | A |\n"))[:4] == ("missing_type", "survey", 2, "type")


def _xlsx(sheets: dict[str, list[list]]) -> bytes:
    book = openpyxl.Workbook()
    book.remove(book.active)
    for title, rows in sheets.items():
        sheet = book.create_sheet(title)
        for row in rows:
            sheet.append(row)
    out = BytesIO()
    book.save(out)
    return out.getvalue()


def test_a_workbook_of_one_sheet_is_the_survey_whatever_its_name():
    loaded = load(_xlsx({"Sheet1": [["type", "name", "label"], ["text", "state", "The state"]]}), "states.xlsx")
    assert loaded.ok and [f.name for f in loaded.schema.fields] == ["state"]
    assert loaded.schema.form_id == "states" and not loaded.warnings


def test_a_duplicate_column_header_names_its_sheet_row_and_column():
    data = _xlsx(
        {
            "survey": [["type", "name", "label"], ["text", "a", "A"]],
            "choices": [["list_name", "name", "label", "label"], ["c", "x", "X", "X"]],
        }
    )
    code, sheet, row, column, message = refusal(data, "form.xlsx")
    assert (code, sheet, row, column) == ("duplicate_header", "choices", 1, "label")
    assert "'label'" in message


def _windows_1258(text: str) -> bytes:
    """Vietnamese as Windows saves it in a legacy 'CSV' (a base letter, then a combining tone mark)."""
    out = b""
    for char in text:
        try:
            out += char.encode("cp1258")
        except UnicodeEncodeError:
            parts = unicodedata.normalize("NFD", char)
            tones = "".join(c for c in parts if c in "\u0300\u0301\u0303\u0309\u0323")
            letter = unicodedata.normalize("NFC", "".join(c for c in parts if c not in tones))
            out += letter.encode("cp1258") + tones.encode("cp1258")
    return out


def test_csv_xlsforms_in_utf8_with_or_without_excels_mark():
    text = "survey,type,name,label\n,text,ten,Tên chủ hộ\n,integer,tuoi,Tuổi\nsettings,form_id,version\n,ho,1\n"
    for data in (text.encode(), b"\xef\xbb\xbf" + text.encode()):
        loaded = load(data, "ho.csv")
        assert loaded.ok, [str(e) for e in loaded.errors]
        assert [(f.name, f.label) for f in loaded.schema.fields] == [
            ("ten", {"default": "Tên chủ hộ"}),
            ("tuoi", {"default": "Tuổi"}),
        ]
    code, sheet, row, column, message = refusal(_windows_1258(text), "ho.csv")
    assert code == "csv_encoding" and "ho.csv" in message and "UTF-8" in message


@pytest.mark.parametrize(
    "detail, where",
    [
        ("[row : 34] Missing calculation.", ("survey", 34, "calculation")),
        ("[row : 3] Question or group with no name.", ("survey", 3, "name")),
        ("[row : 5] On the 'choices' sheet, the 'name' value is invalid. Choices must have a name.", ("choices", 5, "name")),
        (
            "Invalid headers provided for sheet: 'survey'. Headers that are different names for the same column were "
            "found: 'bind:relevant', 'relevance'. Rename or remove one of these columns.",
            ("survey", 1, "bind:relevant"),
        ),
    ],
)
def test_pyxforms_messages_are_placed_on_sheet_row_and_column(detail, where):
    error = pyxform_error(detail)
    assert (error.sheet, error.row, error.column) == where and detail in error.message


def test_a_table_list_group_gets_pyxforms_title_and_label_rows():
    """pyxform adds a title note and a row of the choice labels to a table-list group (the phone draws
    the group as a table: that row over the questions' buttons without their labels)."""
    survey = (
        "| | type | name | label | hint | appearance |\n"
        "| | begin group | table | Tables | First row | table-list |\n"
        "| | select_one yn | q1 | Q1 | | |\n| | select_one yn | q2 | Q2 | | |\n| | end group | | | | |\n"
    )
    loaded = load(md(survey, YES_NO))
    assert loaded.ok, [str(e) for e in loaded.errors]
    rows = [(f.type, f.appearance, f.list_name, f.label) for f in loaded.schema.by_name["table"].children]
    assert rows[0][:3] == ("note", None, None) and rows[0][3] == {"default": "Tables"}
    assert rows[1][:3] == ("select_one", "label", "yn")
    assert rows[2:] == [
        ("select_one", "list-nolabel", "yn", {"default": "Q1"}),
        ("select_one", "list-nolabel", "yn", {"default": "Q2"}),
    ]
