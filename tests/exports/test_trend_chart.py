"""The progress report's trend (issue 18, item 4): the compared indicators per survey round on sheet
"6. Xu hướng", drawn as a native line chart on its own chart sheet whose series read those cells."""

from __future__ import annotations

import re
import zipfile

import openpyxl
from openpyxl.utils import column_index_from_string

from survey_app.dashboard.labels import indicator_labels
from survey_app.extensions import db
from survey_app.rounds import queries as rounds
from survey_app.rounds.operations import start_round
from tests.conftest import csrf_token, login
from tests.dashboard.test_trend import two_rounds
from tests.rounds.test_rounds import SECOND, first_round

SHEET = "6. Xu hướng"
REF = re.compile(r"^'?(?P<sheet>.+?)'?!\$(?P<col>[A-Z]+)\$(?P<first>\d+)(?::\$(?P<col2>[A-Z]+)\$(?P<last>\d+))?$")


def report(app, tmp_path, *extra):
    args = ["report", "--ward", "A", "--from", "2026-03-01", "--to", "2026-03-31", "--out", str(tmp_path), *extra]
    result = app.test_cli_runner().invoke(args=args)
    assert result.exit_code == 0, result.output
    return next(tmp_path.glob("*.xlsx"))


def charts(path) -> list[str]:
    with zipfile.ZipFile(path) as archive:
        return [archive.read(name).decode() for name in sorted(archive.namelist()) if re.match(r"xl/charts/chart\d+\.xml$", name)]


def refs(xml: str, tag: str) -> list[re.Match]:
    """The cell ranges of every series' `tag` (c:tx, c:cat, c:val), parsed."""
    found = re.findall(rf"<c:{tag}>.*?<c:f>(.*?)</c:f>", xml, flags=re.S)
    return [REF.match(ref.replace("&apos;", "'")) for ref in found]


def cells(sheet, ref: re.Match) -> list:
    col = column_index_from_string(ref["col"])
    last = int(ref["last"] or ref["first"])
    return [sheet.cell(row=row, column=col).value for row in range(int(ref["first"]), last + 1)]


def test_the_line_chart_reads_each_indicators_share_per_round_from_the_trend_sheet(app, world, tmp_path):
    two_rounds(world)
    path = report(app, tmp_path)
    book = openpyxl.load_workbook(path)
    assert "Biểu đồ xu hướng" in [sheet.title for sheet in book.chartsheets]
    (xml,) = [chart for chart in charts(path) if "<c:lineChart>" in chart]
    assert "Tỷ lệ người từ 15 tuổi đạt từng chỉ tiêu qua các đợt khảo sát" in xml  # its title, in Vietnamese
    sheet = book[SHEET]
    names, categories, values = refs(xml, "tx"), refs(xml, "cat"), refs(xml, "val")
    assert len(names) == len(categories) == len(values) == len(rounds.COMPARED)
    assert all(ref is not None and ref["sheet"] == SHEET for ref in names + categories + values)
    per_round = rounds.by_round(world.ward_a, world.admin_a, "total")
    labels = indicator_labels()
    headers = {cell.value: cell.column_letter for cell in sheet[1]}
    for key, name, category, value in zip(rounds.COMPARED, names, categories, values, strict=True):
        # the series is named by its indicator's header, its points are the rounds, its values the shares
        assert cells(sheet, name) == [sheet.cell(row=1, column=column_index_from_string(value["col"])).value] == [labels[key]]
        assert cells(sheet, category) == [r.name for r, _found in per_round] == ["Đợt 1 (khảo sát ban đầu)", "Đợt 2 (năm 2026)"]
        assert cells(sheet, value) == [found["total"][key].shown(world.admin_a) for _r, found in per_round]
    vneid = next(v for k, v in zip(rounds.COMPARED, values, strict=True) if k == "vneid_level2")
    assert vneid["col"] == headers["VNeID mức 2"] and cells(sheet, vneid) == [0, 0.5]
    assert sheet["B2"].value.date().isoformat() == "2025-08-01" and sheet["D3"].number_format == "0.0%"


def test_the_city_reads_no_share_of_fewer_than_5_and_one_round_draws_no_line(app, world, tmp_path):
    first_round(world)
    alone = report(app, tmp_path / "one")
    assert [row[0] for row in openpyxl.load_workbook(alone)[SHEET].iter_rows(min_row=2, values_only=True)] == [
        "Đợt 1 (khảo sát ban đầu)"
    ]
    assert not [chart for chart in charts(alone) if "<c:lineChart>" in chart]  # one point is no trend
    assert "Biểu đồ xu hướng" not in openpyxl.load_workbook(alone).sheetnames

    viewer = app.test_client()
    start_round(world.ward_a, name="Đợt 2", starts_on=SECOND.date(), ends_on=None, user=world.admin_a)
    db.session.commit()
    login(viewer, "city_viewer")
    page = viewer.get(f"/exports?ward_id={world.ward_a.id}").get_data(as_text=True)
    response = viewer.post(
        "/exports/progress-report",
        data={"csrf_token": csrf_token(page), "ward_id": world.ward_a.id, "starts_on": "2026-03-01", "ends_on": "2026-03-31"},
    )
    assert response.status_code == 200
    target = tmp_path / "city.xlsx"
    target.write_bytes(response.data)
    rows = list(openpyxl.load_workbook(target)[SHEET].iter_rows(min_row=2, values_only=True))
    assert [row[0] for row in rows] == ["Đợt 1 (khảo sát ban đầu)", "Đợt 2"]
    assert all(value is None for row in rows for value in row[2:])  # two adults: every share hidden from the city
