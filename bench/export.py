"""Benchmark of the ward export: ours against the xlsxwriter floor and the pandas/openpyxl way.

    python bench/export.py [--households 12000] [--repeat 1] [--keep DIR]

It generates the demo ward (every demo stage: households, answers, indicators, ...) into a
temporary SQLite database, then measures three exports of the whole ward, each in a subprocess of
its own so that one's memory and caches do not help another:

A. ours: `survey_app.exports` writing the workbook (`write_export`, xlsx), from the scope check
   to the closed file: queries streamed, labels, pseudonym/format logic, chart, data dictionary.
B. the floor: the same cells (same sheets, same values, pre-computed by our row generators
   *before* the clock starts) written by xlsxwriter in constant-memory mode with `write_row` and
   no application logic; the timed part also reads every row of the ward's tables the export
   reads (households, persons, submissions with their answers, visits, support events, plan)
   with plain SQL SELECTs through the DBAPI cursor. So B is "read the data + write the cells",
   and A/B is the cost of everything the application adds.
C. the naive way: the same plain SQL reads, then the same pre-computed cells put into one
   pandas.DataFrame per sheet and written with DataFrame.to_excel(engine="openpyxl").

Times are the CPU time of the measuring process (user + system, time.process_time): the exports
are single-threaded and CPU-bound, and CPU time does not count the waits caused by other work on
a shared machine; the wall-clock times are printed too. Peak memory is the export subprocess's
own peak RSS (VmHWM in /proc/self/status: ru_maxrss would carry the parent's peak over the
fork), Python and the app included; the ward is generated in a subprocess of its own too. The
last line printed is the contract:
    export_s=A floor_s=B naive_s=C ratio_floor=A/B ratio_naive=C/A peak_rss_mb=M
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("SURVEY_SECRET_KEY", "bench-secret-key")

WARD_CODE = "PL"
#: The ward's tables the export reads, for the floor's and the naive way's plain SELECTs.
TABLES = (
    "households",
    "persons",
    "submissions",
    "visits",
    "support_events",
    "plan_classes",
    "plan_learners",
    "residential_groups",
    "survey_teams",
    "users",
    "person_indicators",
)


def _app(database: Path, instance: Path):
    from survey_app import create_app

    app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{database}"})
    app.instance_path = str(instance)
    return app


def generate(database: Path, instance: Path, households: int) -> None:
    """The demo ward, every stage, committed."""
    from survey_app.demo import generator
    from survey_app.extensions import db

    app = _app(database, instance)
    with app.app_context():
        db.create_all()
        generator.generate(generator.DemoConfig(households=households))
        db.session.commit()


def _scope():
    from survey_app.exports.operations import resolve_scope

    return resolve_scope(None, ward_code=WARD_CODE)


def _plain_reads(app) -> int:
    """Every row of the ward's tables the export reads, through the DBAPI cursor (no ORM, no types)."""
    from survey_app.extensions import db

    rows = 0
    connection = db.engine.raw_connection()
    try:
        cursor = connection.cursor()
        ward_id = cursor.execute("SELECT id FROM wards WHERE code = ?", (WARD_CODE,)).fetchone()[0]
        for table in TABLES:
            for _row in cursor.execute(f"SELECT * FROM {table} WHERE ward_id = ?", (ward_id,)):
                rows += 1
        cursor.close()
    finally:
        connection.close()
    return rows


def _cells(scope):
    """Our sheets with every row pre-computed: [(title, headers, rows)]."""
    from survey_app.exports.sheets import build_sheets

    return [
        (sheet.title(scope.lang), [c.header(scope.lang) for c in sheet.columns], list(sheet.rows()))
        for sheet in build_sheets(scope)
    ]


def measure(kind: str, database: Path, instance: Path, out: Path) -> dict:
    """Run one measurement in this process; return seconds and peak RSS."""
    app = _app(database, instance)
    with app.app_context():
        if kind == "ours":
            from survey_app.exports.models import ExportFormat
            from survey_app.exports.operations import write_export

            started, wall = time.process_time(), time.perf_counter()
            counts = write_export(_scope(), ExportFormat.XLSX, out / "ours.xlsx")
            rows = sum(counts.values())
        else:
            sheets = _cells(_scope())
            rows = sum(len(r) for _t, _h, r in sheets)
            started, wall = time.process_time(), time.perf_counter()
            _plain_reads(app)
            (_floor if kind == "floor" else _naive)(sheets, out / f"{kind}.xlsx")
        seconds, wall = time.process_time() - started, time.perf_counter() - wall
    peak = _peak_rss_mb()
    return {"kind": kind, "seconds": seconds, "wall": wall, "peak_rss_mb": peak, "rows": rows}


def _peak_rss_mb() -> float:
    """This process's peak resident memory since its exec, in MB."""
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _floor(sheets, path: Path) -> None:
    import xlsxwriter

    workbook = xlsxwriter.Workbook(
        str(path),
        {"constant_memory": True, "strings_to_formulas": False, "strings_to_urls": False, "default_date_format": "dd/mm/yyyy"},
    )
    for title, headers, rows in sheets:
        worksheet = workbook.add_worksheet(title)
        worksheet.write_row(0, 0, headers)
        for number, row in enumerate(rows, start=1):
            worksheet.write_row(number, 0, row)
    workbook.close()


def _naive(sheets, path: Path) -> None:
    import pandas as pd

    with pd.ExcelWriter(path, engine="openpyxl") as writer:
        for title, headers, rows in sheets:
            frame = pd.DataFrame(rows, columns=_unique(headers))
            frame.to_excel(writer, sheet_name=title, index=False)


def _unique(headers: list[str]) -> list[str]:
    """pandas wants distinct column names (two questions may share a label)."""
    seen: dict[str, int] = {}
    result = []
    for header in headers:
        seen[header] = seen.get(header, 0) + 1
        result.append(header if seen[header] == 1 else f"{header} ({seen[header]})")
    return result


def _run_child(kind: str, database: Path, instance: Path, out: Path, households: int = 0) -> dict:
    completed = subprocess.run(
        [
            sys.executable,
            __file__,
            "--measure",
            kind,
            "--database",
            str(database),
            "--instance",
            str(instance),
            "--out",
            str(out),
            "--households",
            str(households),
        ],
        capture_output=True,
        text=True,
    )
    if completed.returncode != 0:
        sys.exit(f"the {kind} run failed:\n{completed.stderr}")
    return json.loads(completed.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--households", type=int, default=12_000)
    parser.add_argument(
        "--repeat", type=int, default=1, help="runs of ours and of the floor, the fastest counting (the naive way runs once)"
    )
    parser.add_argument("--keep", type=Path, help="keep the database and the files in this folder")
    parser.add_argument("--measure", choices=("generate", "ours", "floor", "naive"), help=argparse.SUPPRESS)
    parser.add_argument("--database", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--instance", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--out", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.measure == "generate":
        generate(args.database, args.instance, args.households)
        print(json.dumps({"generated": args.households}))
        return
    if args.measure:
        print(json.dumps(measure(args.measure, args.database, args.instance, args.out)))
        return
    with tempfile.TemporaryDirectory(prefix="export-bench-") as temporary:
        folder = args.keep or Path(temporary)
        folder.mkdir(parents=True, exist_ok=True)
        database, instance = folder / "bench.db", folder / "instance"
        database.unlink(missing_ok=True)
        started = time.perf_counter()
        _run_child("generate", database, instance, folder, args.households)
        print(f"demo ward generated: {args.households} households ({time.perf_counter() - started:.1f} s)")
        results = {}
        for kind in ("ours", "floor", "naive"):
            repeat = 1 if kind == "naive" else max(args.repeat, 1)
            runs = [_run_child(kind, database, instance, folder) for _ in range(repeat)]
            results[kind] = min(runs, key=lambda r: r["seconds"])
            result = results[kind]
            print(
                f"{kind:>6}: {result['seconds']:.2f} s CPU ({result['wall']:.2f} s wall), {result['rows']} rows, "
                f"peak RSS {result['peak_rss_mb']:.0f} MB"
            )
    ours, floor, naive = (results[k]["seconds"] for k in ("ours", "floor", "naive"))
    print(
        f"export_s={ours:.2f} floor_s={floor:.2f} naive_s={naive:.2f} ratio_floor={ours / floor:.2f} "
        f"ratio_naive={naive / ours:.2f} peak_rss_mb={results['ours']['peak_rss_mb']:.0f}"
    )


if __name__ == "__main__":
    main()
