"""The figures the ward reports to the city about "Bình dân học vụ số" support.

`support_figures(viewer, ward_id)` is the one entry point (the /support page and /api/support/figures
use it; exports can call it too). People helped: each surveyed person counts once, each anonymous event
counts as one person (anonymous people cannot be told apart). Weeks are ISO weeks and months are
calendar months of the ward's local time. The gap-to-help table: of the surveyed people whose
answers show a training gap (the scoring rules' modules), how many were helped on it afterwards,
i.e. have a support event later than their interview with a kind of help mapped to that module.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

import sqlalchemy as sa

from survey_app import disclosure
from survey_app.access import sees_people, visible
from survey_app.accounts.models import User
from survey_app.clock import local_zone
from survey_app.collection.models import Person, ReviewStatus, Submission
from survey_app.extensions import db
from survey_app.formdefs.ids import HOUSEHOLD_FORM
from survey_app.planning.scoring import RuleError, load_rules, score_person
from survey_app.support.models import SupportEvent, SupportOutcome, support_event_types
from survey_app.support.queries import catalogue, current_lang
from survey_app.teams.models import SurveyTeam
from survey_app.wards.models import ResidentialGroup, Ward

#: Gaps per member of a submission, by (submission id, content hash, rules version): answers never change.
_GAP_CACHE: dict[tuple, tuple] = {}
_CACHE_LIMIT = 200_000


@dataclass
class Tally:
    """Events, distinct people and minutes of one row of a table."""

    events: int = 0
    minutes: int = 0
    people: set = field(default_factory=set)
    anonymous: int = 0

    def add(self, event) -> None:
        self.events += 1
        self.minutes += event.minutes
        if event.person_id is None:
            self.anonymous += 1
        else:
            self.people.add(event.person_id)

    def as_json(self) -> dict:
        return {
            "events": self.events,
            "people": len(self.people) + self.anonymous,
            "minutes": self.minutes,
            "hours": round(self.minutes / 60, 1),
        }


def _events(viewer: User, ward_id: int) -> tuple[list, dict[int, list[int]]]:
    """The events the viewer may see in the ward, oldest first, and each one's kind-of-help ids."""
    scope = (SupportEvent.ward_id == ward_id, visible(SupportEvent, viewer))
    events = db.session.execute(
        sa.select(
            SupportEvent.id,
            SupportEvent.occurred_at,
            SupportEvent.person_id,
            SupportEvent.minutes,
            SupportEvent.residential_group_id,
            SupportEvent.survey_team_id,
            SupportEvent.outcome,
            SupportEvent.follow_up_of_id,
        )
        .where(*scope)
        .order_by(SupportEvent.occurred_at, SupportEvent.id)
    ).all()
    links: dict[int, list[int]] = {}
    table = support_event_types
    for event_id, type_id in db.session.execute(
        sa.select(table.c.support_event_id, table.c.support_type_id).where(
            table.c.support_event_id.in_(sa.select(SupportEvent.id).where(*scope))
        )
    ):
        links.setdefault(event_id, []).append(type_id)
    return events, links


def _rows(keys, tallies: dict, describe) -> list[dict]:
    return [{**describe(key), **tallies.get(key, Tally()).as_json()} for key in keys]


def _week(moment) -> tuple[str, date]:
    year, week, _ = moment.astimezone(local_zone()).isocalendar()
    return f"{year}-W{week:02d}", date.fromisocalendar(year, week, 1)


def _merge(tallies) -> Tally:
    merged = Tally()
    for tally in tallies:
        merged.events += tally.events
        merged.minutes += tally.minutes
        merged.people |= tally.people
        merged.anonymous += tally.anonymous
    return merged


def support_figures(viewer: User, ward_id: int) -> dict:
    """Every table of the support page for one ward, limited to what `viewer` may see; JSON-ready."""
    ward = db.session.get(Ward, ward_id)
    lang = current_lang()
    types = catalogue(ward_id)
    events, links = _events(viewer, ward_id)
    total, by_type, by_group, by_team, by_week, by_month = Tally(), {}, {}, {}, {}, {}
    mondays, outcomes, closed = {}, {o.value: 0 for o in SupportOutcome}, set()
    for event in events:
        total.add(event)
        outcomes[event.outcome.value] += 1
        for type_id in links.get(event.id, ()):
            by_type.setdefault(type_id, Tally()).add(event)
        by_group.setdefault(event.residential_group_id, Tally()).add(event)
        by_team.setdefault(event.survey_team_id, Tally()).add(event)
        week, mondays[week] = _week(event.occurred_at)
        by_week.setdefault(week, Tally()).add(event)
        by_month.setdefault(event.occurred_at.astimezone(local_zone()).strftime("%Y-%m"), Tally()).add(event)
        if event.follow_up_of_id is not None:
            closed.add(event.follow_up_of_id)
    groups = {
        g.id: g
        for g in db.session.scalars(
            sa.select(ResidentialGroup)
            .where(ResidentialGroup.ward_id == ward_id, visible(ResidentialGroup, viewer))
            .order_by(ResidentialGroup.code)
        )
    }
    teams = {
        t.id: t
        for t in db.session.scalars(
            sa.select(SurveyTeam).where(SurveyTeam.ward_id == ward_id, visible(SurveyTeam, viewer)).order_by(SurveyTeam.number)
        )
    }
    team_rows = _rows(teams, by_team, lambda i: {"team_id": i, "number": teams[i].number, "name": teams[i].name})
    others = _merge(tally for team_id, tally in by_team.items() if team_id not in teams)
    if others.events:  # volunteers of no team, or of a team the viewer does not see
        team_rows.append({"team_id": None, "number": None, "name": None, **others.as_json()})
    kinds = {t.id: t for t in types}
    open_follow_ups = sum(1 for e in events if e.outcome == SupportOutcome.FOLLOW_UP and e.id not in closed)
    return {
        "ward": {"id": ward.id, "code": ward.code, "name": ward.name},
        "totals": {**total.as_json(), "outcomes": outcomes, "follow_ups_open": open_follow_ups},
        "by_type": _rows(kinds, by_type, lambda i: _type_json(kinds[i], lang, ward)),
        "by_group": _rows(groups, by_group, lambda i: {"group_id": i, "code": groups[i].code, "name": groups[i].name}),
        "by_team": team_rows,
        "by_week": _rows(sorted(by_week), by_week, lambda w: {"week": w, "starts_on": mondays[w].isoformat()}),
        "by_month": _rows(sorted(by_month), by_month, lambda m: {"month": m}),
        "gap_to_help": gap_to_help(viewer, ward_id, groups, types, events, links, lang),
    }


def _type_json(row, lang: str, ward: Ward) -> dict:
    return {
        "type_id": row.id,
        "code": row.code,
        "label": row.label(lang, ward.citizen_app_name),
        "gap_module": row.gap_module,
        "retired": row.retired_at is not None,
    }


# ---------------------------------------------------------------- gap to help


def _rules(version: str, cache: dict):
    if version not in cache:
        try:
            cache[version] = load_rules(HOUSEHOLD_FORM, version)
        except RuleError:  # a version no rule file lists: the newest rules
            cache[version] = load_rules(HOUSEHOLD_FORM)
    return cache[version]


def _member_gaps(answers, rules) -> tuple:
    """Gap modules of each member of a submission; None for a member who did not answer part B."""
    answers = answers if isinstance(answers, dict) else {}
    household = {k: v for k, v in answers.items() if k != "members"}
    members = answers.get("members") if isinstance(answers.get("members"), list) else []
    return tuple(
        frozenset(score_person(m, household, rules).gaps) if isinstance(m, dict) and "b8_internet" in m else None for m in members
    )


def _gaps_by_submission(submission_ids) -> dict[int, tuple]:
    """Per submission, its members' gaps, scored once per answers and rules (then cached)."""
    rules_cache, found, missing = {}, {}, {}
    heads = db.session.execute(
        sa.select(Submission.id, Submission.form_version, Submission.content_hash).where(Submission.id.in_(submission_ids))
    ).all()
    for submission_id, version, digest in heads:
        key = (submission_id, digest, _rules(version, rules_cache).version)
        if key in _GAP_CACHE:
            found[submission_id] = _GAP_CACHE[key]
        else:
            missing[submission_id] = (key, version)
    ids = list(missing)
    for start in range(0, len(ids), 500):
        for submission_id, answers in db.session.execute(
            sa.select(Submission.id, Submission.answers).where(Submission.id.in_(ids[start : start + 500]))
        ):
            key, version = missing[submission_id]
            found[submission_id] = _member_gaps(answers, _rules(version, rules_cache))
            if len(_GAP_CACHE) >= _CACHE_LIMIT:
                _GAP_CACHE.clear()
            _GAP_CACHE[key] = found[submission_id]
    return found


def _interviewed(viewer: User, ward_id: int) -> list:
    """(person id, group id, submission id, member index, interview time) of the surveyed people in scope."""
    answered_at = sa.func.coalesce(Submission.finished_at, Submission.started_at, Submission.received_at)
    return db.session.execute(
        sa.select(Person.id, Person.residential_group_id, Person.submission_id, Person.answer_index, answered_at)
        .join(Submission, Submission.id == Person.submission_id)
        .where(
            Person.ward_id == ward_id,
            visible(Person, viewer),
            Submission.form_id == HOUSEHOLD_FORM,
            Submission.review_status != ReviewStatus.REJECTED,
            Person.answer_index.is_not(None),
        )
    ).all()


def _module_titles(modules, lang: str) -> list[dict]:
    rules = load_rules(HOUSEHOLD_FORM)
    known = set(rules.module_codes)
    order = {code: i for i, code in enumerate(rules.module_codes)}
    return [
        {"code": code, "title": (rules.module(code).title.get(lang) or code) if code in known else code}
        for code in sorted(modules, key=lambda c: (order.get(c, 99), c))
    ]


def gap_to_help(viewer: User, ward_id: int, groups: dict, types, events, links, lang: str) -> dict:
    """Per group and gap module: surveyed people with the gap, and how many of them were helped on it afterwards."""
    module_of = {t.id: t.gap_module for t in types if t.gap_module}
    modules = _module_titles(set(module_of.values()), lang)
    codes = [m["code"] for m in modules]
    help_times: dict[tuple[int, str], list] = {}
    for event in events:
        if event.person_id is None:
            continue
        for module in {module_of[t] for t in links.get(event.id, ()) if t in module_of}:
            help_times.setdefault((event.person_id, module), []).append(event.occurred_at)
    people = _interviewed(viewer, ward_id) if codes else []
    gaps = _gaps_by_submission({row[2] for row in people}) if people else {}
    cells = {}
    for person_id, group_id, submission_id, index, answered_at in people:
        members = gaps.get(submission_id, ())
        person_gaps = members[index] if 0 <= index < len(members) else None
        for module in codes:
            if not person_gaps or module not in person_gaps:
                continue
            cell = cells.setdefault((group_id, module), [0, 0])
            cell[0] += 1
            if any(moment > answered_at for moment in help_times.get((person_id, module), ())):
                cell[1] += 1

    def row(cell_of) -> dict:
        out = {}
        for module in codes:
            gap, helped = cell_of(module)
            out[module] = {"gap": gap, "helped": helped, "share": round(helped / gap, 4) if gap else None}
        return out

    rows = [
        {"group_id": gid, "code": g.code, "name": g.name, "cells": row(lambda m, gid=gid: cells.get((gid, m), (0, 0)))}
        for gid, g in groups.items()
    ]
    total = row(lambda m: tuple(sum(c[i] for (gid, mod), c in cells.items() if mod == m) for i in (0, 1)))
    return {"modules": modules, "groups": rows, "total": total}


def ward_rows(viewer: User) -> list[dict]:
    """Each ward the viewer may read (a city viewer's city) with its headline support figures."""
    anonymous = sa.func.sum(sa.case((SupportEvent.person_id.is_(None), 1), else_=0))
    stats = {
        row[0]: row[1:]
        for row in db.session.execute(
            sa.select(
                SupportEvent.ward_id,
                sa.func.count(),
                sa.func.sum(SupportEvent.minutes),
                sa.func.count(sa.distinct(SupportEvent.person_id)),
                anonymous,
            )
            .where(visible(SupportEvent, viewer))
            .group_by(SupportEvent.ward_id)
        )
    }
    rows = []
    for ward in db.session.scalars(sa.select(Ward).where(visible(Ward, viewer)).order_by(Ward.name)):
        events, minutes, people, anonymous_events = stats.get(ward.id, (0, 0, 0, 0))
        minutes = int(minutes or 0)
        rows.append(
            {
                "ward": ward,
                "events": events,
                "people": people + int(anonymous_events or 0),
                "minutes": minutes,
                "hours": round(minutes / 60, 1),
            }
        )
    return rows


#: Counts of a support row that count people or their events (hours are the volunteers' time).
TALLY_COUNTS = ("events", "people")
#: Tables whose rows add up to the totals (each event counts once); kinds of help overlap and do not.
SUMMED_TABLES = ("by_group", "by_team", "by_week", "by_month")


def shown_figures(viewer: User, data: dict) -> dict:
    """support_figures as `viewer` may see them: small cells suppressed for city roles (survey_app.disclosure)."""
    if sees_people(viewer):
        return data

    def rows(table: list[dict], summed: bool) -> list[dict]:
        shown = [disclosure.suppress_row(row, viewer, TALLY_COUNTS) for row in table]
        for key in TALLY_COUNTS if summed else ():
            disclosure.suppress_column(shown, key)
        return shown

    totals = disclosure.suppress_row(data["totals"], viewer, TALLY_COUNTS)
    outcomes = data["totals"]["outcomes"]
    totals["outcomes"] = {
        key: value
        for key, value in disclosure.suppress_row(outcomes, viewer, tuple(outcomes), parts=tuple(outcomes)).items()
        if key != "suppressed"
    }
    totals["follow_ups_open"] = disclosure.suppress_small(totals["follow_ups_open"], viewer)
    shown = {
        **data,
        "totals": totals,
        "by_type": rows(data["by_type"], False),
        **{name: rows(data[name], True) for name in SUMMED_TABLES},
    }
    gaps = data["gap_to_help"]
    shown["gap_to_help"] = {
        **gaps,
        "groups": [{**row, "cells": _shown_cells(row["cells"])} for row in gaps["groups"]],
        "total": _shown_cells(gaps["total"]),
    }
    return shown


def _shown_cells(cells: dict) -> dict:
    """Gap-to-help cells with a share hidden when fewer than 5 people have the gap, or are (not) helped on it."""
    out = {}
    for module, cell in cells.items():
        gap, helped = cell["gap"], cell["helped"]
        if disclosure.is_small(gap):
            hidden = disclosure.SUPPRESSED
            out[module] = {"gap": hidden, "helped": hidden, "share": hidden, "suppressed": ["gap", "helped", "share"]}
        elif disclosure.is_small(helped) or disclosure.is_small(gap - helped):
            out[module] = {
                **cell,
                "helped": disclosure.SUPPRESSED,
                "share": disclosure.SUPPRESSED,
                "suppressed": ["helped", "share"],
            }
        else:
            out[module] = cell
    return out


def shown_ward_rows(viewer: User, rows: list[dict]) -> list[dict]:
    """ward_rows as `viewer` may see them (see shown_figures)."""
    return [disclosure.suppress_row(row, viewer, TALLY_COUNTS) for row in rows]
