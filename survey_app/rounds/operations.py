"""Starting a survey round: the round before is closed and its figures kept, the households go back to
"not visited", and the dashboard's figures count the new round's submissions only.

Functions only flush; the request (or command) commits at the edge.
"""

from __future__ import annotations

from datetime import date, timedelta

import sqlalchemy as sa
from flask_babel import format_date
from flask_babel import gettext as _

from survey_app.audit.operations import record as audit
from survey_app.clock import local_today, local_zone
from survey_app.collection.models import Household, HouseholdStatus, Person, Submission
from survey_app.collection.rules import plan_members
from survey_app.dashboard import queries as dashboard
from survey_app.dashboard.indicators import derive_rows, earlier_round_derived, rebuild_indicators
from survey_app.dashboard.models import PersonIndicator
from survey_app.extensions import db, utcnow
from survey_app.formdefs.ids import HOUSEHOLD_FORM
from survey_app.formdefs.queries import current_form
from survey_app.rounds.models import KEPT_COLUMNS, RoundPerson
from survey_app.wards.models import SurveyRound, Ward

#: A household that moved away stays so in the next round; every other is to be visited again.
KEPT_STATUSES = (HouseholdStatus.MOVED,)


class RoundError(ValueError):
    """A round refused; the message is for people."""


def rounds_of(ward: Ward) -> list[SurveyRound]:
    """The ward's rounds, oldest first; a ward that never started a second round has its first one only,
    made from its survey period (not stored)."""
    stored = list(db.session.scalars(sa.select(SurveyRound).where(SurveyRound.ward_id == ward.id).order_by(SurveyRound.number)))
    return stored or [_first_round(ward)]


def _first_round(ward: Ward) -> SurveyRound:
    first = db.session.scalar(sa.select(sa.func.min(Submission.started_at)).where(Submission.ward_id == ward.id))
    starts = ward.survey_starts_on or (first.astimezone(local_zone()).date() if first else None)
    return SurveyRound(
        ward_id=ward.id,
        form_version=_form_version(ward),
        number=1,
        name=_("Round 1 (baseline)"),
        starts_on=starts or local_today(),
        ends_on=ward.survey_ends_on,
    )


def _check(current: SurveyRound, name: str, starts_on: date, ends_on: date | None) -> None:
    if not name.strip():
        raise RoundError(_("Give the round a name."))
    if ends_on is not None and ends_on < starts_on:
        raise RoundError(_("The round ends before it starts: check the two dates."))
    last_day = current.ends_on or current.starts_on
    if starts_on <= last_day:
        raise RoundError(
            _(
                "The new round overlaps %(name)s (%(first)s – %(last)s): it must start after it.",
                name=current.name,
                first=format_date(current.starts_on),
                last=format_date(last_day),
            )
        )


def start_round(ward: Ward, *, name: str, starts_on: date, ends_on: date | None, user, rebuild: bool = True) -> SurveyRound:
    """Close the ward's current round (its figures kept) and start the next one. The dashboard's figures
    are derived again for the new round here (`rebuild`), or by a job the caller queues (a request)."""
    rounds = rounds_of(ward)
    current = rounds[-1]
    _check(current, name, starts_on, ends_on)
    if current.id is None:  # the first round, stored now that it closes
        db.session.add(current)
    if current.ends_on is None:
        current.ends_on = starts_on - timedelta(days=1)
    current.closed_at = utcnow()
    current.figures = _coverage_figures(ward, user)
    db.session.flush()
    _keep_people(ward, current)
    if current.form_version is None:
        current.form_version = _form_version(ward)
    new = SurveyRound(
        ward_id=ward.id,
        form_version=_form_version(ward),
        number=current.number + 1,
        name=" ".join(name.split()),
        starts_on=starts_on,
        ends_on=ends_on,
        created_by_id=user.id if user is not None else None,
    )
    db.session.add(new)
    ward.survey_starts_on, ward.survey_ends_on = starts_on, ends_on
    db.session.execute(
        sa.update(Household)
        .where(Household.ward_id == ward.id, Household.status.not_in(KEPT_STATUSES))
        .values(status=HouseholdStatus.NOT_VISITED)
    )
    # Every resident is open to the new round's survey of their household: the same person again when
    # the name and birth year answered match (collection.rules.plan_members), a new line otherwise.
    db.session.execute(sa.update(Person).where(Person.ward_id == ward.id).values(submission_id=None, answer_index=None))
    db.session.flush()
    if rebuild:
        rebuild_indicators(ward.id)  # the new round's own submissions only (none yet, most often)
    audit(
        "round.started",
        user=user,
        ward_id=ward.id,
        object_type="wards",
        object_id=ward.id,
        detail={"round": new.number, "starts_on": starts_on.isoformat(), "closed": current.number},
    )
    return new


def _form_version(ward: Ward) -> str | None:
    """The household form version the ward's phones use now (the one a round starts with)."""
    form = current_form(ward.id, HOUSEHOLD_FORM)
    return form.version if form is not None else None


def _coverage_figures(ward: Ward, user) -> dict:
    rows = dashboard.group_coverage(user, ward.id)
    keep = ("expected", "listed", "visited", "done", "people", "share")
    return {
        "total": {key: dashboard.totals(rows)[key] for key in keep},
        "groups": {str(row["id"]): {"code": row["code"], "name": row["name"], **{key: row[key] for key in keep}} for row in rows},
    }


_ROW_COLUMNS = ("age_group", "sex", "disability", "age_75_plus", "lives_alone", "poor_household", *KEPT_COLUMNS)


@earlier_round_derived.connect
def keep_late(_sender, submissions) -> None:
    """Interviews of a closed round that arrived after it closed (a phone offline since): their adults'
    rows join that round's, replacing the submission's own rows (re-deriving changes nothing)."""
    zone = local_zone()
    for submission in submissions:
        day = (submission.started_at or submission.received_at).astimezone(zone).date()
        found = db.session.execute(
            sa.select(SurveyRound.id, SurveyRound.closed_at)
            .where(SurveyRound.ward_id == submission.ward_id, SurveyRound.closed_at.is_not(None), SurveyRound.starts_on <= day)
            .order_by(SurveyRound.number.desc())
            .limit(1)
        ).first()
        if found is None or submission.received_at <= found.closed_at:
            continue  # received before its round closed: the rows the round kept then are its own
        closed = found.id
        group_id = submission.residential_group_id or db.session.scalar(
            sa.select(Household.residential_group_id).where(Household.id == submission.household_id)
        )
        db.session.execute(sa.delete(RoundPerson).where(RoundPerson.submission_id == submission.id))
        if group_id is None:
            continue
        people = _followed(submission)
        rows = [
            {
                "ward_id": submission.ward_id,
                "round_id": closed,
                "person_id": people.get(row["member_index"]),
                "submission_id": submission.id,
                "residential_group_id": group_id,
                **{column: row.get(column) for column in _ROW_COLUMNS},
            }
            for row in derive_rows(submission, group_id)
        ]
        if rows:
            db.session.execute(sa.insert(RoundPerson.__table__), rows)


def _followed(submission: Submission) -> dict[int, int]:
    """{member position: resident id} of a late interview: its members matched to the household's residents
    by name and birth year, as a survey links them (collection.rules.plan_members), without linking them
    (their links are the current round's)."""
    if submission.household_id is None:
        return {}
    residents = db.session.execute(
        sa.select(Person.id, Person.line_no, Person.full_name, Person.birth_year, sa.null().label("submission_id"))
        .where(Person.household_id == submission.household_id)
        .order_by(Person.line_no)
    ).all()
    members = (submission.answers or {}).get("members") or []
    matched = plan_members(members if isinstance(members, list) else [], residents)
    return {index: person.id for index, (person, _fields) in enumerate(matched) if person is not None}


def _keep_people(ward: Ward, closing: SurveyRound) -> None:
    """Copy the adults' rows of the closing round, each named by their resident (household and line)."""
    pi = PersonIndicator
    person = (
        sa.select(Person.id)
        .where(Person.submission_id == pi.submission_id, Person.answer_index == pi.member_index)
        .limit(1)
        .scalar_subquery()
    )
    columns = _ROW_COLUMNS
    select = sa.select(
        pi.ward_id,
        sa.literal(closing.id),
        person,
        pi.submission_id,
        pi.residential_group_id,
        *(getattr(pi, c) for c in columns),
    ).where(pi.ward_id == ward.id)
    table = RoundPerson.__table__
    target = [
        table.c.ward_id,
        table.c.round_id,
        table.c.person_id,
        table.c.submission_id,
        table.c.residential_group_id,
        *(table.c[c] for c in columns),
    ]
    db.session.execute(sa.insert(table).from_select(target, select))
