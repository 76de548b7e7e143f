"""The rules both ways of storing a visit follow (operations.py one by one, batch.py a batch at once):
the form's filling day, the group check, and matching the members answered to the household's persons."""

from __future__ import annotations

import unicodedata
from datetime import date

from flask_babel import gettext as _

from survey_app.clock import local_zone
from survey_app.collection.models import Sex
from survey_app.collection.records import Record
from survey_app.wards.queries import round_starts


def filled_on(record: Record) -> date | None:
    """The ward's calendar day the form was filled in (it decides today(), the survey year)."""
    filled = record.started_at or record.visited_at or record.finished_at
    return filled.astimezone(local_zone()).date() if filled else None


def group_errors(answers: dict, code: str) -> list[dict]:
    """a1_group is pre-filled with the visit's group (its code); anything else points at the wrong group."""
    if answers.get("a1_group") == code:
        return []
    return [
        {
            "field": "a1_group",
            "index": None,
            "code": "group_mismatch",
            "message": _("The residential group does not match the household's group (%(code)s).", code=code),
        }
    ]


def normalise_name(name) -> str:
    return " ".join(unicodedata.normalize("NFC", str(name or "")).casefold().split())


def plan_members(members: list, persons) -> list[tuple]:
    """[(person or None, {column: value})] for each member answered, matched against the household's
    persons (anything with id, line_no, full_name, birth_year, submission_id): a listed person not yet
    linked to a submission, with the same name (ignoring case, accents' forms and spacing) and birth
    year; None for a member to add, with its line number and name."""
    roster = [p for p in persons if p.submission_id is None]
    next_line = max((p.line_no for p in persons), default=0) + 1
    plan = []
    for index, member in enumerate(members):
        member = member if isinstance(member, dict) else {}
        name, year = member.get("b0_name"), member.get("b1_birth_year")
        year = year if isinstance(year, int) and not isinstance(year, bool) else None
        match = next(
            (
                p
                for p in roster
                if normalise_name(p.full_name) == normalise_name(name) and (p.birth_year is None or p.birth_year == year)
            ),
            None,
        )
        fields: dict = {"answer_index": index}
        if match is None:
            fields.update(line_no=next_line, full_name=" ".join(str(name or "").split())[:120], birth_year=year)
            next_line += 1
        else:
            roster.remove(match)
            if year is not None:
                fields["birth_year"] = year
        if member.get("b2_sex") in Sex._value2member_map_:
            fields["sex"] = Sex(member["b2_sex"])
        plan.append((match, fields))
    return plan


def of_an_earlier_round(ward_id: int, visited_at, starts: dict | None = None) -> bool:
    """A visit made before the ward's current round began (a phone that was offline since): kept as a
    fact, counted in its own round, and it does not move the household's status in the current one.
    `starts`: wards.queries.round_starts, when the caller read it already."""
    starts = round_starts({ward_id}) if starts is None else starts
    return visited_at is not None and ward_id in starts and visited_at.astimezone(local_zone()).date() < starts[ward_id]
