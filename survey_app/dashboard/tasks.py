"""The worker's side of the dashboard: derive figures from the outbox, a batch at a time.

`derive_pending` is a tick (every DERIVE_EVERY_SECONDS in every worker, one worker at a time): it
claims the oldest outbox rows, re-derives the person indicators and group tallies of the households
and submissions they name, deletes them and stamps each ward's freshness, all in one transaction.
A batch cut short (worker killed, database gone) leaves its rows in the outbox for the next tick;
a batch run twice writes the same rows (the derivation reads the stored records as they are).
"""

from __future__ import annotations

import sqlalchemy as sa

from survey_app import jobs
from survey_app.collection import quality
from survey_app.collection.models import Household, Submission, SubmissionCheck
from survey_app.dashboard import shares
from survey_app.dashboard.figures import rebuild_figures
from survey_app.dashboard.freshness import stamp_fresh
from survey_app.dashboard.indicators import apply_changes, plan_changes, rebuild_indicators
from survey_app.dashboard.models import IndicatorFigure, PersonIndicator
from survey_app.extensions import db, take_write_lock
from survey_app.sync import outbox

#: Outbox rows per tick: small enough that a phone's batch never waits long for SQLite's write lock
#: (the tick holds it only to write what it derived).
BATCH = 1000
DERIVE_EVERY_SECONDS = 0.5


#: Whether this process has checked for wards with people but no kept figures (see backfill_figures).
_backfilled = False


def backfill_figures() -> list[int]:
    """Fill the kept figures of every ward that has indicator rows and none (a database upgraded to
    the revision that added them): the wards filled."""
    have_people = sa.select(PersonIndicator.ward_id).distinct()
    have_figures = sa.select(IndicatorFigure.ward_id).distinct()
    wards = sorted(set(db.session.scalars(have_people)) - set(db.session.scalars(have_figures)))
    if wards:
        take_write_lock()
        for ward_id in wards:
            rebuild_figures(ward_id)
    unchecked = sorted(
        set(db.session.scalars(sa.select(Submission.ward_id).distinct()))
        - set(db.session.scalars(sa.select(SubmissionCheck.ward_id).distinct()))
    )
    if unchecked:  # the data-quality checks, likewise added by an upgrade
        take_write_lock()
        for ward_id in unchecked:
            quality.measure_ward(ward_id)
    return wards


def derive_pending(limit: int = BATCH) -> int:
    """Derive from up to `limit` outbox rows; the number of rows done (0: the outbox was empty).
    A worker's first call also fills the figures an upgrade left empty (backfill_figures)."""
    global _backfilled
    if not _backfilled:
        backfill_figures()
        _backfilled = True
    if not outbox.any_pending():
        return 0  # no write lock taken: SQLite's phones are not kept waiting by an idle worker
    rows = outbox.claim(limit)
    if not rows:
        return 0
    named = (
        {r.household_id for r in rows if r.household_id is not None},
        {r.submission_id for r in rows if r.household_id is None and r.submission_id is not None},
    )
    changes, checks = _plan(named)  # read and derived before the write lock: phones keep storing meanwhile
    take_write_lock()
    if outbox.remove(r.id for r in rows) != len(rows):
        # Another worker derived some of these rows since we read them (SQLite, where claim locks
        # nothing): our reading may be older than what it wrote, so read again, under the lock.
        changes, checks = _plan(named)
    apply_changes(changes)
    quality.apply_checks(checks)  # the data-quality checks of the same records
    shares.rewrite(changes.groups | _groups_of(named[0]))  # the coverage of the split groups' shares
    stamp_fresh({r.ward_id for r in rows})
    return len(rows)


def _groups_of(household_ids: set) -> set:
    """The residential groups of these households (a visit with no interview changes its group's coverage)."""
    found, ids = set(), sorted(household_ids)
    for start in range(0, len(ids), 500):
        found.update(
            db.session.scalars(
                sa.select(Household.residential_group_id).where(Household.id.in_(ids[start : start + 500])).distinct()
            )
        )
    return found


def _plan(named: tuple):
    """The figures and the data-quality checks of the named households and submissions, read once."""
    submissions = quality.submissions_of(*named)
    return plan_changes(*named, submissions), quality.plan_checks(*named, submissions)


jobs.register_tick("derive_figures", derive_pending, DERIVE_EVERY_SECONDS)

#: The job that derives a whole ward again (a new survey round counts its own submissions only).
REBUILD_WARD = "rebuild_ward"


@jobs.handler(REBUILD_WARD)
def rebuild_ward(job: jobs.Job) -> dict:
    """Every figure of the ward, derived again from its submissions; committed with the job's `done`."""
    take_write_lock()
    return {"rows": rebuild_indicators(job.ward_id)}


def queue_rebuild(ward_id: int, user_id: int | None = None) -> jobs.Job:
    """Queue the ward's rebuild (one at a time per ward; flushed, the caller commits)."""
    return jobs.enqueue(REBUILD_WARD, ward_id=ward_id, user_id=user_id, active_key=f"{REBUILD_WARD}:{ward_id}")
