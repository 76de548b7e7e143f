"""Dependent interviewing: from round 2 on, a household's interview starts from the answers of its last
accepted interview of an earlier round, which the surveyor reads out to confirm or change.

Only the stable facts are carried forward (CARRIED_FORWARD); what the round measures is asked afresh.
The phone gets them with the household listing (queries.households_with_roster), so they are there
offline too.
"""

from __future__ import annotations

from datetime import datetime, time
from typing import NamedTuple

import sqlalchemy as sa

from survey_app.clock import local_zone
from survey_app.collection import rules
from survey_app.collection.models import Person, ReviewStatus, Submission
from survey_app.extensions import db
from survey_app.formdefs.ids import HOUSEHOLD_FORM
from survey_app.wards.queries import round_starts

#: What a later round's interview starts from, by question name prefix: part A of the household survey
#: and each member's profile in part B (forms/household_survey.md). Left out, and asked afresh:
#: - a1-a3 (group, address, head's name) and b0_name, b1_birth_year, b2_sex: the phone fills them from
#:   the listing and its roster, which are the household's current ones;
#: - b0_respondent: whoever is at home answers this time;
#: - what the round measures, so that a change between rounds is what the person says now and not last
#:   round's answer confirmed out of habit: the home's Internet and devices (a6-a8, the dashboard's
#:   home access figures), phone, computer and Internet use (b6-b8), the skills (s1-s15), the essential
#:   digital services (v1-v6) and the learning needs (l1-l5).
CARRIED_FORWARD = {
    "household": ("a4_", "a5_", "a9_", "a10_"),
    "members": ("b3_", "b4_", "b5_"),  # occupation, the Washington Group difficulties, characteristics
}


def carried(answers: dict, part: str) -> dict:
    """The answers of one part ("household" or "members") that a later round starts from."""
    prefixes = CARRIED_FORWARD[part]
    return {name: value for name, value in answers.items() if name.startswith(prefixes) and value not in (None, "", [])}


def counts_as_accepted():
    """SQL condition: a household survey not rejected in review (the interviews the round's figures count)."""
    return sa.and_(Submission.form_id == HOUSEHOLD_FORM, Submission.review_status != ReviewStatus.REJECTED)


class _Resident(NamedTuple):
    """A person as collection.rules.plan_members matches them: every one open to the match."""

    id: int
    line_no: int
    full_name: str
    birth_year: int | None
    submission_id: None = None


def last_round_answers(households) -> dict[int, dict]:
    """{household id: {"household": {...}, "members": {person id: {...}}, "interviewed_on": "YYYY-MM-DD"}}
    for these households (the ones the user may see), from the latest accepted interview of each one
    interviewed before its ward's current round began; empty while a ward is in its first round.

    The members are those of the roster still in the household (no left_reason), each found in last
    round's answers as the server linked them then: by name and birth year (rules.plan_members; the
    round's start cleared Person.answer_index). A member the match misses starts empty."""
    by_ward: dict[int, list[int]] = {}
    for household in households:
        by_ward.setdefault(household.ward_id, []).append(household.id)
    starts = round_starts(set(by_ward)) if by_ward else {}
    zone = local_zone()
    latest: dict[int, Submission] = {}
    for ward_id, first_day in starts.items():
        began = datetime.combine(first_day, time.min, zone)
        ids = sorted(by_ward[ward_id])
        for start in range(0, len(ids), 500):
            for submission in db.session.execute(
                sa.select(Submission)
                .where(
                    Submission.household_id.in_(ids[start : start + 500]),
                    counts_as_accepted(),
                    sa.func.coalesce(Submission.started_at, Submission.received_at) < began,
                )
                .order_by(Submission.received_at, Submission.id)
            ).scalars():
                latest[submission.household_id] = submission  # later ones replace earlier ones
    if not latest:
        return {}
    residents: dict[int, list[_Resident]] = {}
    present: set[int] = set()
    ids = sorted(latest)
    for start in range(0, len(ids), 500):
        for row in db.session.execute(
            sa.select(Person.household_id, Person.id, Person.line_no, Person.full_name, Person.birth_year, Person.left_reason)
            .where(Person.household_id.in_(ids[start : start + 500]))
            .order_by(Person.household_id, Person.line_no)
        ):
            residents.setdefault(row.household_id, []).append(_Resident(row.id, row.line_no, row.full_name, row.birth_year))
            if row.left_reason is None:
                present.add(row.id)
    found = {}
    for household_id, submission in latest.items():
        answers = submission.answers if isinstance(submission.answers, dict) else {}
        members = answers.get("members") if isinstance(answers.get("members"), list) else []
        profiles = {}
        for (person, _fields), member in zip(rules.plan_members(members, residents.get(household_id, [])), members, strict=True):
            if person is not None and person.id in present and isinstance(member, dict):
                profile = carried(member, "members")
                if profile:
                    profiles[str(person.id)] = profile
        when = submission.started_at or submission.received_at
        found[household_id] = {
            "household": carried(answers, "household"),
            "members": profiles,
            "interviewed_on": when.astimezone(zone).date().isoformat(),
        }
    return found
