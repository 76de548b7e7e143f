"""Every XLSForm of pyxform's own test suite (tests/formdefs/corpus): the app accepts a form exactly when
pyxform converts it and ODK Validate (the check ODK Collect runs) passes it. A refused form's first
problem names its sheet, row and column; an accepted form gets a generated answer set that the server's
validation passes. The phone's side of the same forms is in tests/browser/test_corpus_phone.py."""

from __future__ import annotations

import itertools
import re
import warnings
from pathlib import Path

import pytest
from pyxform.xls2xform import convert

from survey_app.formdefs.expressions import compile_expression
from survey_app.formdefs.parser import load_form
from tests.formdefs.generate import valid_answers
from tests.formdefs.odk_validate import validate

CORPUS = Path(__file__).resolve().parent / "corpus"
FORMS = sorted(path for path in CORPUS.iterdir() if path.suffix in (".xls", ".xlsx"))
PROJECT_FORMS = sorted((Path(__file__).resolve().parents[2] / "forms").glob("*.xlsx"))

#: A 1x1 PNG: the stand-in for every picture, sound or video a form shows (the corpus has none of them).
PIXEL = bytes.fromhex(
    "89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c489"
    "0000000d49444154789c6360000002000154a24f5d0000000049454e44ae426082"
)


def stand_in(name: str, schema) -> bytes:
    """A file for a form's attachment the corpus does not have: a picture, or rows of data (see _rows)."""
    if not name.endswith(".csv"):
        return PIXEL
    rows = _rows(name, schema)
    columns = list(rows[0])
    return ("\n".join([",".join(columns)] + [",".join(row[c] for c in columns) for row in rows]) + "\n").encode()


def _rows(name: str, schema) -> list[dict]:
    """Rows for a data file: every column the form's choice filters read over it, one row per combination
    of the values a column can meet. A column compared with a question (`village = ${village}`) takes each
    value that question can have (its list's choices, or the rows of the file it selects from), so a
    cascade over files finds rows whatever was chosen before; other columns take x1 and x2."""
    values: dict[str, list[str]] = {}
    for item in schema.walk():
        if item.list_name != name or not item.choice_filter:
            continue
        for column, ref in re.findall(r"([A-Za-z_][\w.-]*)\s*=\s*\$\{([^}]+)\}", item.choice_filter):
            asked = schema.by_name.get(ref)
            source = (asked.list_name or "") if asked else ""
            if source.endswith(".csv") and source != name:
                values.setdefault(column, [row["name"] for row in _rows(source, schema)])
            else:
                values.setdefault(column, [c.name for c in schema.choices.get(source, [])] or ["x1", "x2"])
        for column in compile_expression(item.choice_filter, True).columns - {"name", "label"}:
            values.setdefault(column, ["x1", "x2"])
    columns = sorted(values)
    combinations = list(itertools.product(*(values[c] for c in columns)))[:200] if columns else [(), ()]
    return [
        {"name": f"r{number}", "label": f"R{number}", **dict(zip(columns, combination))}
        for number, combination in enumerate(combinations)
    ]


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
    listed = {
        line.split("|")[1].strip() for line in (CORPUS / "README.md").read_text().splitlines() if line.startswith("| pyxform_")
    }
    assert listed == {path.name for path in FORMS} and len(FORMS) == 49
    assert (CORPUS / "LICENSE.pyxform").read_text().startswith("Copyright (c) 2015, XLSForm")


@pytest.mark.parametrize("path", FORMS, ids=[path.name for path in FORMS])
def test_the_app_accepts_a_form_exactly_when_pyxform_and_odk_validate_do(path, reference, app_ctx):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        loaded = load_form(path)
        if loaded.ok and loaded.missing:  # the corpus has no files beside its forms: attach stand-ins
            loaded = load_form(path, attachments={name: stand_in(name, loaded.schema) for name in loaded.missing})
    refused_by = reference[path.name]
    assert loaded.ok == (refused_by is None), (refused_by, [str(e) for e in loaded.errors][:5])
    if loaded.ok:
        assert not loaded.missing
        answers, problems = valid_answers(loaded.schema)
        assert problems == [], (answers, problems)
    else:
        first = loaded.errors[0]
        assert first.sheet and first.row and first.column, str(first)


def test_the_projects_own_forms_pass_odk_validate(app_ctx):
    xforms = {path.name: load_form(path).xform for path in PROJECT_FORMS}
    assert len(xforms) == 2 and all(xforms.values())
    assert validate(xforms) == {}
