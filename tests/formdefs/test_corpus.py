"""Every XLSForm of pyxform's own test suite (tests/formdefs/corpus): the app accepts a form exactly when
pyxform converts it and ODK Validate (the check ODK Collect runs) passes it. A refused form's first
problem names its sheet, row and column; an accepted form gets a generated answer set that the server's
validation passes. The phone's side of the same forms is in tests/browser/test_corpus_phone.py."""
from __future__ import annotations

import warnings
from pathlib import Path

import pytest
from pyxform.xls2xform import convert

from survey_app.formdefs.parser import load_form
from tests.formdefs.generate import valid_answers
from tests.formdefs.odk_validate import validate

CORPUS = Path(__file__).resolve().parent / "corpus"
FORMS = sorted(path for path in CORPUS.iterdir() if path.suffix in (".xls", ".xlsx"))
PROJECT_FORMS = sorted((Path(__file__).resolve().parents[2] / "forms").glob("*.xlsx"))

#: Forms that pyxform and ODK Validate accept but the app does not yet, with the part of issue 15 that
#: will accept them. Strict: a form that starts to load fails here until it is taken off the list.
NOT_YET = {
    "pyxform_attribute_columns_test.xlsx": "media labels (item 3)",
    "pyxform_bug_UCL_Biomass_Plot_Form.xlsx": "parameters column, select_one_from_file (items 2, 3)",
    "pyxform_bug_xl_date_ambiguous_v1.xlsx": "XPath paths in instance_name (item 4)",
    "pyxform_case_insensitivity.xlsx": "external_choices, entities sheets (items 2, 5)",
    "pyxform_choice_name_as_type.xls": "external_choices sheet (item 2)",
    "pyxform_field-list.xlsx": "media labels on choices (item 3)",
    "pyxform_flat_xlsform_test.xlsx": "media labels, question types (items 2, 3)",
    "pyxform_loop.xlsx": "begin loop over (item 2)",
    "pyxform_pull_data.xlsx": "pulldata() (item 3)",
    "pyxform_repeat_date_test.xls": "media labels on choices (item 3)",
    "pyxform_simple_loop.xls": "begin loop over (item 2)",
    "pyxform_sms_info.xls": "image question (item 3)",
    "pyxform_table-list.xls": "media labels on choices (item 3)",
    "pyxform_widgets.xls": "media labels, trigger, barcode and other widgets (items 2, 3)",
    "pyxform_xlsform_spec_test.xlsx": "media labels, question types (items 2, 3)",
    "pyxform_xml_escaping.xls": "media labels on choices (item 3)",
}


@pytest.fixture(scope="module")
def reference() -> dict[str, str | None]:
    """pyxform's and ODK Validate's verdict on each corpus form: None when both accept it, else why not."""
    verdicts, xforms = {}, {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # openpyxl's notes on Excel extensions
        for path in FORMS:
            try:
                xforms[path.name] = convert(xlsform=str(path), validate=False).xform
                verdicts[path.name] = None
            except Exception as exc:  # noqa: BLE001  (pyxform's refusal, whatever its kind)
                verdicts[path.name] = f"pyxform: {exc}"
    for name, message in validate(xforms).items():
        verdicts[name] = f"ODK Validate: {message}"
    return verdicts


def test_the_corpus_is_all_of_pyxforms_test_forms():
    listed = {line.split("|")[1].strip() for line in (CORPUS / "README.md").read_text().splitlines()
              if line.startswith("| pyxform_")}
    assert listed == {path.name for path in FORMS} and len(FORMS) == 49
    assert (CORPUS / "LICENSE.pyxform").read_text().startswith("Copyright (c) 2015, XLSForm")


@pytest.mark.parametrize("path", FORMS, ids=[path.name for path in FORMS])
def test_the_app_accepts_a_form_exactly_when_pyxform_and_odk_validate_do(path, reference, request, app_ctx):
    if path.name in NOT_YET:
        request.applymarker(pytest.mark.xfail(strict=True, reason=f"not yet: {NOT_YET[path.name]}"))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        loaded = load_form(path)
    refused_by = reference[path.name]
    assert loaded.ok == (refused_by is None), (refused_by, [str(e) for e in loaded.errors][:5])
    if loaded.ok:
        answers, problems = valid_answers(loaded.schema)
        assert problems == [], (answers, problems)
    else:
        first = loaded.errors[0]
        assert first.sheet and first.row and first.column, str(first)


def test_the_projects_own_forms_pass_odk_validate(app_ctx):
    xforms = {path.name: load_form(path).xform for path in PROJECT_FORMS}
    assert len(xforms) == 2 and all(xforms.values())
    assert validate(xforms) == {}
