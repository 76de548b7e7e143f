"""Read-only queries about households, submissions and quarantined records."""

from __future__ import annotations

import sqlalchemy as sa

from survey_app.access import team_group_ids, visible
from survey_app.accounts.models import User
from survey_app.collection import carryover
from survey_app.collection.models import (
    Household,
    HouseholdStatus,
    Person,
    QuarantinedSubmission,
    QuarantineStatus,
    ReviewStatus,
    Submission,
)
from survey_app.extensions import db
from survey_app.wards.queries import group_progress

PAGE_SIZE = 50


def household_page(user: User, group_id: int, *, search: str = "", status: HouseholdStatus | None = None, page: int = 1):
    """One page of a group's households, searchable by address or head's name."""
    query = sa.select(Household).where(Household.residential_group_id == group_id, visible(Household, user))
    if search:
        pattern = f"%{search.strip().lower()}%"
        query = query.where(
            sa.or_(sa.func.lower(Household.address).like(pattern), sa.func.lower(Household.head_name).like(pattern))
        )
    if status is not None:
        query = query.where(Household.status == status)
    return db.paginate(query.order_by(Household.id), page=page, per_page=PAGE_SIZE, error_out=False)


def phone_groups(user: User):
    """The groups the user's survey team covers today, with progress counts of its part (its share of a
    split group; none without a team)."""
    if not user.survey_team_id:
        return []
    return group_progress(user, user.ward_id, group_ids=team_group_ids(user.survey_team_id), team_id=user.survey_team_id)


def households_with_roster(user: User, group_id: int) -> list[dict]:
    """A group's households the user may see, each with its roster (name, birth year, sex) and, from
    round 2 on, what the interview starts from: "last", the stable answers of the household's last
    accepted interview of an earlier round (carryover.py), when it had one."""
    households = (
        db.session.execute(
            sa.select(Household)
            .where(Household.residential_group_id == group_id, visible(Household, user))
            .order_by(Household.id)
        )
        .scalars()
        .all()
    )
    roster: dict[int, list] = {}
    persons = db.session.execute(
        sa.select(Person.household_id, Person.full_name, Person.birth_year, Person.sex, Person.id)
        .where(Person.residential_group_id == group_id, visible(Person, user), Person.left_reason.is_(None))
        .order_by(Person.household_id, Person.line_no)
    ).all()
    for household_id, name, year, sex, person_id in persons:  # the id: a later round marks who has gone
        roster.setdefault(household_id, []).append([name, year, sex.value if sex else None, person_id])
    last = carryover.last_round_answers(households)
    return [
        {
            "id": h.id,
            "address": h.address,
            "head_name": h.head_name,
            "status": h.status.value,
            "client_uuid": h.client_uuid,
            "members": roster.get(h.id, []),
            **({"last": last[h.id]} if h.id in last else {}),
        }
        for h in households
    ]


def submission_page(user: User, status: ReviewStatus | None, page: int = 1):
    """Submissions the user may see, newest first, optionally of one review status."""
    query = sa.select(Submission).where(visible(Submission, user))
    if status is not None:
        query = query.where(Submission.review_status == status)
    return db.paginate(
        query.order_by(Submission.received_at.desc(), Submission.id.desc()), page=page, per_page=PAGE_SIZE, error_out=False
    )


def review_counts(user: User) -> dict:
    """How many submissions the user may see are in each review status."""
    rows = db.session.execute(
        sa.select(Submission.review_status, sa.func.count()).where(visible(Submission, user)).group_by(Submission.review_status)
    ).all()
    return {status: count for status, count in rows}


def quarantine_page(user: User, status: QuarantineStatus | None, page: int = 1):
    """Quarantined records the user may see, newest first."""
    query = sa.select(QuarantinedSubmission).where(visible(QuarantinedSubmission, user))
    if status is not None:
        query = query.where(QuarantinedSubmission.status == status)
    return db.paginate(
        query.order_by(QuarantinedSubmission.received_at.desc(), QuarantinedSubmission.id.desc()),
        page=page,
        per_page=PAGE_SIZE,
        error_out=False,
    )
