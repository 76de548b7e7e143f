"""What changed between rounds: each headline indicator per round and breakdown, and the change for the
people who completed a module against those who did not.

A closed round is read from the rows it left (round_people), the current one from the dashboard's live
rows (person_indicators): both are the same columns, derived by the same rules. A person is followed
across rounds by their resident row (household and line, persons.id).
"""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa

from survey_app import disclosure
from survey_app.access import visible
from survey_app.collection.models import Person
from survey_app.dashboard.models import PersonIndicator
from survey_app.extensions import db
from survey_app.rounds.models import RoundPerson
from survey_app.rounds.operations import rounds_of
from survey_app.training.queries import completions
from survey_app.wards.models import ResidentialGroup, SurveyRound, Ward

#: The indicators compared between rounds (the dashboard's headline, scams aside: fewer is better there).
COMPARED = (
    "level_4_plus",
    "essential_five",
    "vneid_level2",
    "public_services_self",
    "cashless",
    "digital_signature",
    "smartphone",
)
BREAKDOWNS = ("total", "group", "age_group", "sex", "vulnerable")
#: The module whose class teaches what an indicator measures: its "trained" people are those who
#: completed that module; an indicator no module teaches compares people who completed any module.
TEACHES = {"vneid_level2": "m2", "public_services_self": "m3", "cashless": "m4", "smartphone": "m1"}
VULNERABLE = ("disability", "age_75_plus", "lives_alone", "poor_household")


def _value(row, key: str) -> bool | None:
    """A person's value of an indicator: True, False, or None (not asked)."""
    if key == "level_4_plus":
        return None if row.level is None else row.level >= 4
    return getattr(row, key)


def _bucket(row, by: str, groups: dict) -> str:
    if by == "group":
        return groups.get(row.residential_group_id, str(row.residential_group_id))
    if by == "vulnerable":
        return "any" if any(getattr(row, flag) for flag in VULNERABLE) else "none"
    if by in ("age_group", "sex"):
        return getattr(row, by) or "unknown"
    return "total"


@dataclass
class Share:
    n: int = 0
    of: int = 0

    def add(self, value: bool | None) -> None:
        if value is not None:
            self.of += 1
            self.n += bool(value)

    def shown(self, viewer) -> float | None:
        """The share as the viewer may read it: none when fewer than 5 have it or lack it (city roles)."""
        if not self.of:
            return None
        if viewer.is_city_level and (disclosure.is_small(self.n) or disclosure.is_small(self.of - self.n)):
            return None
        return self.n / self.of


_COLUMNS = ("residential_group_id", "age_group", "sex", *VULNERABLE, "level", *(k for k in COMPARED if k != "level_4_plus"))


def _rows(model, where):
    return db.session.execute(sa.select(*(getattr(model, c) for c in _COLUMNS)).where(*where)).all()


def _visible_groups(user, ward: Ward) -> dict[int, str]:
    return dict(
        db.session.execute(
            sa.select(ResidentialGroup.id, ResidentialGroup.code).where(
                ResidentialGroup.ward_id == ward.id, visible(ResidentialGroup, user)
            )
        ).all()
    )


def _round_where(ward: Ward, user, survey_round: SurveyRound, current: bool, groups: dict) -> tuple:
    """The table a round's adults are read from, and which of its rows the user may see."""
    if current:
        return PersonIndicator, (PersonIndicator.ward_id == ward.id, visible(PersonIndicator, user))
    return RoundPerson, (RoundPerson.round_id == survey_round.id, RoundPerson.residential_group_id.in_(groups))


def round_rows(ward: Ward, user, survey_round: SurveyRound, current: bool):
    """The adults' rows of a round as the user may see them."""
    return _rows(*_round_where(ward, user, survey_round, current, _visible_groups(user, ward)))


def _asked_and_yes(model, key: str) -> tuple:
    """SQL for _value: a person was asked (the column is set) and has it."""
    if key == "level_4_plus":
        return model.level, model.level >= 4
    column = getattr(model, key)
    return column, column.is_(True)


def _whole_ward(model, where) -> dict[str, dict[str, Share]]:
    """{"total": {indicator: Share}} counted by the database, the same rule as _value row by row; {} when
    nobody is in the round (as a breakdown has no bucket then)."""
    counts = []
    for key in COMPARED:
        asked, yes = _asked_and_yes(model, key)
        counts += [sa.func.count(sa.case((yes, 1))), sa.func.count(asked)]
    people, *found = db.session.execute(sa.select(sa.func.count(), *counts).where(*where)).one()
    if not people:
        return {}
    return {"total": {key: Share(found[2 * i] or 0, found[2 * i + 1] or 0) for i, key in enumerate(COMPARED)}}


def _buckets(model, where, by: str, groups: dict) -> dict[str, dict[str, Share]]:
    if by == "total":
        return _whole_ward(model, where)
    buckets: dict[str, dict[str, Share]] = {}
    for row in _rows(model, where):
        shares = buckets.setdefault(_bucket(row, by, groups), {key: Share() for key in COMPARED})
        for key in COMPARED:
            shares[key].add(_value(row, key))
    return buckets


def by_round(ward: Ward, user, by: str = "total") -> list[tuple[SurveyRound, dict[str, dict[str, Share]]]]:
    """Per round (oldest first): {bucket: {indicator: Share}}."""
    groups = _visible_groups(user, ward)
    rounds = rounds_of(ward)
    return [
        (survey_round, _buckets(*_round_where(ward, user, survey_round, position == len(rounds) - 1, groups), by, groups))
        for position, survey_round in enumerate(rounds)
    ]


def shown_groups(survey_round: SurveyRound, user) -> list[dict]:
    """A closed round's coverage per residential group as it was kept, the groups the user may see, small
    counts hidden from the city."""
    groups = _visible_groups(user, db.session.get(Ward, survey_round.ward_id))
    rows = []
    for group_id, row in (survey_round.figures or {}).get("groups", {}).items():
        if int(group_id) not in groups:
            continue
        shown = {**row}
        if user.is_city_level:
            for key in ("expected", "listed", "visited", "done", "people"):
                if disclosure.is_small(row.get(key)):
                    shown[key], shown["share"] = disclosure.SUPPRESSED, None
        rows.append(shown)
    return sorted(rows, key=lambda r: r.get("code") or "")


def completed_people(ward: Ward) -> dict[int, set[str]]:
    """Residents who completed a module (attended enough sessions of one class, the ward's rule), and which."""
    done = completions([ward.id])
    found: dict[int, set[str]] = {}
    for person_id, module in db.session.execute(sa.select(done.c.person_id, done.c.module).where(done.c.person_id.is_not(None))):
        found.setdefault(person_id, set()).add(module)
    return found


@dataclass
class Effect:
    """One indicator among the people surveyed in both rounds: before and after, trained or not."""

    before: Share
    after: Share


def trained_effect(ward: Ward, user) -> tuple[SurveyRound, SurveyRound, dict[str, dict[str, Effect]], dict[str, int]] | None:
    """The change from the round before to the current one, for people who completed a module and for
    people who did not: {indicator: {"completed": Effect, "not": Effect}}, and how many people are in
    each group. None while the ward has one round."""
    rounds = rounds_of(ward)
    if len(rounds) < 2:
        return None
    before_round, current = rounds[-2], rounds[-1]
    groups = _visible_groups(user, ward)
    before = {
        row.person_id: row
        for row in db.session.execute(
            sa.select(RoundPerson).where(
                RoundPerson.round_id == before_round.id,
                RoundPerson.person_id.is_not(None),
                RoundPerson.residential_group_id.in_(groups),
            )
        ).scalars()
    }
    pi = PersonIndicator
    after = {
        person_id: row
        for person_id, row in db.session.execute(
            sa.select(Person.id, pi)
            .join(Person, sa.and_(Person.submission_id == pi.submission_id, Person.answer_index == pi.member_index))
            .where(pi.ward_id == ward.id, visible(pi, user))
        ).all()
        if person_id in before
    }
    trained = completed_people(ward)
    effects = {key: {"completed": Effect(Share(), Share()), "not": Effect(Share(), Share())} for key in COMPARED}
    people = {"completed": 0, "not": 0}
    for person_id, now in after.items():
        modules = trained.get(person_id, set())
        people["completed" if modules else "not"] += 1
        then = before[person_id]
        for key in COMPARED:
            side = "completed" if (TEACHES[key] in modules if key in TEACHES else modules) else "not"
            old, new = _value(then, key), _value(now, key)
            if old is not None and new is not None:  # asked in both rounds
                effects[key][side].before.add(old)
                effects[key][side].after.add(new)
    return before_round, current, effects, people
