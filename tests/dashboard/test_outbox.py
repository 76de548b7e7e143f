"""Stored records reach the dashboard through the outbox: the store writes a row, the worker derives."""

import sqlalchemy as sa

from survey_app.accounts.models import User
from survey_app.collection.models import ReviewStatus, Submission
from survey_app.collection.operations import review_submission
from survey_app.dashboard.freshness import freshness
from survey_app.dashboard.models import IndicatorTally, PersonIndicator
from survey_app.dashboard.tasks import derive_pending
from survey_app.extensions import db
from survey_app.sync.outbox import OutboxEntry
from tests.collection.conftest import ApiClient, record
from tests.conftest import run_jobs
from tests.formdefs.answers import household


def _rows(household_id):
    db.session.expire_all()
    return (
        db.session.execute(
            sa.select(PersonIndicator).where(PersonIndicator.household_id == household_id).order_by(PersonIndicator.member_index)
        )
        .scalars()
        .all()
    )


def _snapshot(household_id):
    skip = {"id"}
    return [
        {c.key: getattr(r, c.key) for c in PersonIndicator.__table__.columns if c.key not in skip} for r in _rows(household_id)
    ]


def _outbox():
    db.session.expire_all()
    return db.session.execute(sa.select(OutboxEntry)).scalars().all()


def _store(app, world, **extra):
    answers = household(a1_group=world.group_a1.code)
    phone = ApiClient(app.test_client(), "surveyor_1")
    body = record(
        world.hh_a1.id,
        form_id="household_survey",
        form_version="2025.1",
        answers=answers,
        started_at="2025-08-20T02:11:00Z",
        **extra,
    )
    response = phone.post("/api/submissions", body)
    assert response.status_code == 201, response.get_json()
    return answers, response.get_json()


def test_a_stored_survey_writes_an_outbox_row_and_the_worker_derives_its_people(app, world):
    answers, receipt = _store(app, world)
    assert _rows(world.hh_a1.id) == []  # nothing derived on the write path
    [entry] = _outbox()
    assert (entry.ward_id, entry.household_id) == (world.ward_a.id, world.hh_a1.id)
    assert freshness(world.ward_a.id) == {"derived_at": None, "pending": 1}

    run_jobs()  # the worker's tick

    assert len(_rows(world.hh_a1.id)) == len(answers["members"])
    assert _outbox() == []
    fresh = freshness(world.ward_a.id)
    assert fresh["pending"] == 0 and fresh["derived_at"] is not None
    tally = db.session.execute(
        sa.select(IndicatorTally).where(IndicatorTally.residential_group_id == world.group_a1.id)
    ).scalar_one()
    assert tally.adults == len(answers["members"])


def test_deriving_the_same_changes_again_changes_nothing(app, world):
    _store(app, world)
    run_jobs()
    before = _snapshot(world.hh_a1.id)
    # The same change noted again (a batch re-run after a worker died before deleting its rows).
    from survey_app.sync import outbox

    outbox.note(world.ward_a.id, household_id=world.hh_a1.id)
    db.session.commit()
    assert derive_pending() == 1
    db.session.commit()
    assert _snapshot(world.hh_a1.id) == before
    assert len(before) == 2


def test_a_review_that_rejects_leaves_the_figures_once_derived(app, world):
    _, receipt = _store(app, world)
    run_jobs()
    submission = db.session.get(Submission, receipt["submission_id"])
    admin = db.session.get(User, world.admin_a.id)
    review_submission(submission, ReviewStatus.REJECTED, admin, "thử")
    db.session.commit()
    assert len(_rows(world.hh_a1.id)) == 2  # still the figures of before the review
    run_jobs()
    assert _rows(world.hh_a1.id) == []  # rejected answers leave the indicators
    tally = db.session.execute(
        sa.select(IndicatorTally).where(IndicatorTally.residential_group_id == world.group_a1.id)
    ).scalar_one_or_none()
    assert tally is None


def test_a_batch_cut_short_leaves_its_rows_for_the_next_tick(app, world, monkeypatch):
    _store(app, world)
    from survey_app.dashboard import tasks

    def dies(*args):
        raise RuntimeError("worker killed")

    monkeypatch.setattr(tasks, "apply_changes", dies)  # after the outbox rows were deleted
    run_jobs()  # the tick fails and rolls back
    assert len(_outbox()) == 1 and _rows(world.hh_a1.id) == []
    monkeypatch.undo()
    run_jobs()
    assert _outbox() == [] and len(_rows(world.hh_a1.id)) == 2


def test_a_tick_whose_reading_another_worker_overtook_reads_again_under_the_lock(app, world, monkeypatch):
    """The tick derives before it takes the write lock. If another worker derived the same rows in
    the meantime (and so may have read newer records), the tick must not write its older reading."""
    _store(app, world)
    from survey_app.dashboard import tasks
    from survey_app.dashboard.indicators import Changes, plan_changes
    from survey_app.sync import outbox

    calls = []

    def overtaken(households, loose, submissions=None):
        calls.append(households)
        if len(calls) > 1:
            return plan_changes(households, loose, submissions)
        outbox.remove(row.id for row in outbox.claim(10))  # the other worker's tick, committed
        db.session.commit()
        return Changes(sorted(households), [], [], set())  # a reading older than what it wrote

    monkeypatch.setattr(tasks, "plan_changes", overtaken)
    run_jobs()
    assert len(calls) == 2 and _outbox() == []
    assert len(_rows(world.hh_a1.id)) == 2  # the second reading's rows, not the stale empty one


def test_a_ward_upgraded_with_people_but_no_kept_figures_gets_them_from_the_worker(app, world, monkeypatch):
    """The migration that adds the kept figures leaves them empty; the worker's first tick fills them."""
    from survey_app.dashboard import tasks
    from survey_app.dashboard.figures import summed
    from survey_app.dashboard.indicators import aggregate
    from survey_app.dashboard.models import IndicatorFigure

    _store(app, world)
    run_jobs()
    db.session.execute(sa.delete(IndicatorFigure))  # as right after the upgrade
    db.session.commit()
    where = (PersonIndicator.ward_id == world.ward_a.id,)
    assert summed((IndicatorFigure.ward_id == world.ward_a.id,), "total")[0][1]["adults"] == 0
    monkeypatch.setattr(tasks, "_backfilled", False)  # a worker process just started
    run_jobs()
    kept = summed((IndicatorFigure.ward_id == world.ward_a.id,), "total")
    assert kept == aggregate(where, "total") and kept[0][1]["adults"] == 2


def test_the_dashboard_says_how_fresh_its_figures_are(app, world):
    import html as htmllib
    import re

    from tests.conftest import login

    staff = app.test_client()
    login(staff, "admin_a")

    def line():
        page = staff.get("/dashboard").get_data(as_text=True)
        found = re.search(r'<p class="freshness" data-testid="freshness">(.*?)</p>', page, re.S)
        return htmllib.unescape(found.group(1)).strip()

    assert line() == "Số liệu chưa được tính."
    _store(app, world)
    assert line() == "Số liệu chưa được tính. · Số bản ghi mới đang được tính: 1."
    run_jobs()
    assert line().startswith("Số liệu cập nhật lúc ") and "đang được tính" not in line()
    assert staff.get(f"/api/dashboard/wards/{world.ward_a.id}/indicators").get_json()["pending"] == 0
