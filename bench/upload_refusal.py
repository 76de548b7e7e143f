"""How fast an oversized XLSForm is refused, against loading the shipped household form.

    .venv/bin/python bench/upload_refusal.py [--rows 60000] [--repeat 5]

Builds an XLSForm with --rows text questions (60,000 by default: twelve times the survey sheet's
limit) and loads it as an upload is loaded (`formdefs.parser.load_form`: the streamed limit check,
then pyxform), in Vietnamese, --repeat times on fresh bytes (the parser caches by content). The
baseline is the shipped household form (68 questions) loaded the same way.

The last line is: refuse_60k_rows_s=X household_form_s=Y ratio=X/Y
Budget: X < 1 second (the refusal reads 5,001 rows of the sheet, whatever its length).
"""

from __future__ import annotations

import argparse
import io
import os
import statistics
import sys
import time
import zipfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("SURVEY_SECRET_KEY", "upload-refusal-bench")

BUDGET_S = 1.0


def big_form(rows: int, salt: int) -> bytes:
    """An XLSForm with `rows` text questions, its sheet XML written directly (openpyxl is slow at 60k rows)."""
    import openpyxl

    workbook = openpyxl.Workbook(write_only=True)
    workbook.create_sheet("survey").append(["type", "name", "label"])
    workbook.create_sheet("choices").append(["list_name", "name", "label"])
    settings = workbook.create_sheet("settings")
    settings.append(["form_id", "version"])
    settings.append(["big_form", str(salt)])
    small = io.BytesIO()
    workbook.save(small)
    source, out = zipfile.ZipFile(io.BytesIO(small.getvalue())), io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            xml = source.read(info)
            if info.filename != "xl/worksheets/sheet1.xml":
                target.writestr(info, xml)
                continue
            head, tail = xml.split(b"</sheetData>", 1)
            rows_xml = "".join(
                f'<row r="{n}"><c r="A{n}" t="inlineStr"><is><t>text</t></is></c>'
                f'<c r="B{n}" t="inlineStr"><is><t>q{n}</t></is></c>'
                f'<c r="C{n}" t="inlineStr"><is><t>Câu hỏi {n}</t></is></c></row>'
                for n in range(2, rows + 2)
            )
            target.writestr(info, head + rows_xml.encode() + b"</sheetData>" + tail)
    return out.getvalue()


def household_form(salt: int) -> bytes:
    """The shipped household form, with another version each time (so the parser's cache is missed)."""
    import openpyxl

    from survey_app.formdefs import shipped

    workbook = openpyxl.load_workbook(shipped.FORMS_DIR / "household_survey.xlsx")
    settings = workbook["settings"]
    headers = [cell.value for cell in settings[1]]
    settings.cell(row=2, column=headers.index("version") + 1, value=f"9.{salt}")
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def timed_load(data: bytes) -> tuple[float, list]:
    from survey_app.formdefs.parser import load_form

    started = time.perf_counter()
    loaded = load_form(data, "form.xlsx")
    return time.perf_counter() - started, loaded.errors


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=60_000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()

    from survey_app import create_app

    app = create_app({"SQLALCHEMY_DATABASE_URI": "sqlite://"})
    with app.test_request_context("/"):
        timed_load(household_form(0))  # imports and locale data, once
        refusals, loads = [], []
        for salt in range(1, args.repeat + 1):
            data = big_form(args.rows, salt)
            elapsed, errors = timed_load(data)
            assert [e.code for e in errors] == ["limit_sheet_rows"], [e.to_dict() for e in errors]
            refusals.append(elapsed)
            message = errors[0].message
            elapsed, errors = timed_load(household_form(salt))
            assert not errors, [e.to_dict() for e in errors]
            loads.append(elapsed)
        print(f"{args.rows:,}-row form ({len(data):,} bytes): refused in {', '.join(f'{t:.3f}' for t in refusals)} s: {message}")
        print(f"household form: loaded in {', '.join(f'{t:.3f}' for t in loads)} s")
    refuse, load = statistics.median(refusals), statistics.median(loads)
    print(f"budget: refusal < {BUDGET_S} s: {'ok' if refuse < BUDGET_S else 'OVER'}")
    print(f"refuse_60k_rows_s={refuse:.3f} household_form_s={load:.3f} ratio={refuse / load:.2f}")


if __name__ == "__main__":
    main()
