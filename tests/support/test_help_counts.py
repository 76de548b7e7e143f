"""An act of help done after the interview updates the person's indicators (issue 18, item 3), with the
source kept: "theo ghi nhận hỗ trợ" on the dashboard, the rest "theo khảo sát"."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import sqlalchemy as sa

from survey_app.dashboard import figures
from survey_app.dashboard.indicators import SUPPORT_BITS, rebuild_indicators
from survey_app.dashboard.models import PersonIndicator
from survey_app.extensions import db
from tests.conftest import login, run_jobs
from tests.support.conftest import for_person, iso, member, surveyed_household

INTERVIEWED = datetime.now(timezone.utc) - timedelta(days=20)


def row_of(person) -> PersonIndicator:
    db.session.expire_all()
    return db.session.execute(
        sa.select(PersonIndicator).where(
            PersonIndicator.submission_id == person.submission_id, PersonIndicator.member_index == person.answer_index
        )
    ).scalar_one()


def ward_total(world, key: str) -> tuple[int, int]:
    ((_bucket, totals),) = figures.summed((figures.IndicatorFigure.ward_id == world.ward_a.id,), "total")
    return totals["indicators"][key]["n"], totals["indicators"][key]["of"]


def test_help_done_after_the_interview_changes_the_persons_indicators_with_its_source(client, world, catalogue, phone_of):
    hoa, lan = surveyed_household(
        world.group_a1,
        [member("Lê Thị Hoa", vneid="level1", cashless="no"), member("Đỗ Thị Lan", vneid="none")],
        finished=INTERVIEWED,
    )
    rebuild_indicators(world.ward_a.id)  # rows written by hand here: derived as an upgrade's rebuild would
    db.session.commit()
    assert (row_of(hoa).vneid_level2, row_of(hoa).cashless, row_of(hoa).from_support) == (False, False, 0)
    before = ward_total(world, "vneid_level2")

    phone = phone_of("surveyor_1")
    results = phone.post(
        "/api/submissions/batch",
        {
            "items": [
                for_person(hoa, support_types=["vneid_level2", "cashless"]),
                for_person(lan, support_types=["vneid_install"], outcome="follow_up"),  # not done: nothing changes
                # help before the interview: the answers already say what it left
                for_person(lan, support_types=["cashless"], occurred_at=iso(INTERVIEWED - timedelta(days=3))),
            ]
        },
    ).get_json()["results"]
    assert [r["status"] for r in results] == [201, 201, 201]
    run_jobs()
    helped = row_of(hoa)
    assert (helped.vneid_account, helped.vneid_level2, helped.cashless) == (True, True, True)
    # she had a VNeID account by her answers (level 1): that one stays "theo khảo sát"
    assert helped.from_support == SUPPORT_BITS["vneid_level2"] | SUPPORT_BITS["cashless"]
    untouched = row_of(lan)
    assert (untouched.vneid_account, untouched.cashless, untouched.from_support) == (False, True, 0)
    # the kept figures moved with the row: one more adult with level 2, the same adults asked
    assert ward_total(world, "vneid_level2") == (before[0] + 1, before[1])

    # a whole rebuild gives the same rows (the worker and the rebuild derive alike)
    kept = (helped.vneid_level2, helped.from_support)
    rebuild_indicators(world.ward_a.id)
    db.session.commit()
    assert (row_of(hoa).vneid_level2, row_of(hoa).from_support) == kept

    login(client, "admin_a")
    page = client.get(f"/dashboard/ward/{world.ward_a.id}/indicators").get_data(as_text=True)
    assert "trong đó 1 người theo ghi nhận hỗ trợ (được hỗ trợ sau khi khảo sát), còn lại theo khảo sát" in page
