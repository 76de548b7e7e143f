"""Indicators from the answers: one derived row per interviewed adult, and their aggregates.

Storing or reviewing a household submission writes an outbox row (survey_app/sync/outbox.py); the
worker's tick (survey_app/dashboard/tasks.py) then calls `derive_changes` for the households and
submissions it names. `rebuild_indicators(ward_id)` re-derives a whole ward.
Skill level, the five essential skills, the disability flag and the training gaps come from the
planning package's scoring rules (`survey_app.planning.scoring`); nothing of them is written here.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import sqlalchemy as sa
from blinker import Namespace

from survey_app.clock import local_zone
from survey_app.collection import quality
from survey_app.collection.models import Household, ReviewStatus, Submission
from survey_app.dashboard import shares
from survey_app.dashboard.freshness import stamp_fresh
from survey_app.dashboard.models import IndicatorFigure, IndicatorTally, PersonIndicator
from survey_app.extensions import db
from survey_app.formdefs.ids import ADULT_AGE, HOUSEHOLD_FORM
from survey_app.planning.scoring import LEVELS, RuleError, load_rules, score_person
from survey_app.support.queries import helped_members
from survey_app.sync import outbox
from survey_app.wards.models import ResidentialGroup
from survey_app.wards.queries import round_starts

FORM_ID = HOUSEHOLD_FORM
AGE_GROUPS = ("15_24", "25_39", "40_59", "60_74", "75_plus")
SEXES = ("male", "female", "other")
#: Household devices (a8_devices) as bits of PersonIndicator.household_devices.
DEVICE_BITS = {"computer": 1, "tablet": 2, "smartphone": 4, "smart_tv": 8, "none": 16}
#: Training modules (l1_topics, scoring gaps) as bits of PersonIndicator.topics and .gaps.
MODULES = tuple(f"m{i}" for i in range(1, 9))
TOPIC_BITS = {**{code: 1 << i for i, code in enumerate(MODULES)}, "none": 1 << 8}
#: Flags of the vulnerable breakdown (a person may have several).
#: What an act of help done (support_event, outcome "done") after the interview makes true for its
#: person, by the catalogue's code: the help shows the person has it now, whatever the answers said.
SUPPORT_EFFECTS = {
    "vneid_install": ("vneid_account",),
    "vneid_level2": ("vneid_account", "vneid_level2"),
    "public_service": ("public_services_any",),
    "cashless": ("cashless",),
}
SUPPORT_BITS = {"vneid_account": 1, "vneid_level2": 2, "public_services_any": 4, "cashless": 8}
VULNERABLE_FLAGS = ("disability", "age_75_plus", "lives_alone", "poor_household")
WB_DOMAINS = ("b4_seeing", "b4_hearing", "b4_walking", "b4_remembering", "b4_selfcare", "b4_communicating")


# ---------------------------------------------------------------- derivation from the answers


def _bits(chosen, table: dict) -> int | None:
    if not isinstance(chosen, list):
        return None
    value = 0
    for name in chosen:
        value |= table.get(name, 0)
    return value


def _asked(answers: dict, name: str, test):
    """None when the question is absent (not asked in this form version), else test(answer)."""
    return test(answers[name]) if name in answers and answers[name] is not None else None


def _age(member: dict, survey_year: int) -> int | None:
    age = member.get("age")
    if isinstance(age, (int, float)) and not isinstance(age, bool):
        return int(age)
    birth = member.get("b1_birth_year")
    if isinstance(birth, int) and not isinstance(birth, bool):
        return survey_year - birth
    return None


def _age_group(member: dict, age: int | None) -> str | None:
    if member.get("age_group") in AGE_GROUPS:
        return member["age_group"]
    if age is None or age < ADULT_AGE:
        return None
    bounds = ((24, "15_24"), (39, "25_39"), (59, "40_59"), (74, "60_74"))
    return next((label for top, label in bounds if age <= top), "75_plus")


_rules_cache: dict = {}


def rules_for(form_version: str):
    """Scoring rules of a form version; the newest rules when none list that version."""
    if form_version not in _rules_cache:
        try:
            _rules_cache[form_version] = load_rules(FORM_ID, form_version)
        except RuleError:
            _rules_cache[form_version] = load_rules(FORM_ID)
    return _rules_cache[form_version]


def _member_row(member: dict, household: dict, rules) -> dict:
    """The derived columns of one adult (None = not asked)."""
    score = score_person(member, household, rules)
    flags = score.flags
    assessed = "b8_internet" in member
    return {
        "proxy": _asked(member, "b0_respondent", lambda v: v == "proxy"),
        "disability": score.disability if any(d in member for d in WB_DOMAINS) else None,
        "age_75_plus": bool(flags.get("age_75_plus")),
        "lives_alone": bool(flags.get("lives_alone")),
        "poor_household": bool(flags.get("poor_household")),
        "level": LEVELS.index(score.level) if assessed else None,
        "internet_user": _asked(member, "b8_internet", lambda v: v in ("last_3_months", "daily")),
        "essential_five": score.essential_five if "v1_vneid" in member else None,
        "vneid_account": _asked(member, "v1_vneid", lambda v: v in ("level1", "level2")),
        "vneid_level2": _asked(member, "v1_vneid", lambda v: v == "level2"),
        "public_services_self": _asked(member, "v3_public_services", lambda v: v == "self"),
        "public_services_any": _asked(member, "v3_public_services", lambda v: v in ("self", "helped")),
        "cashless": _asked(member, "v4_cashless", lambda v: v == "yes"),
        "scam_exposed": _asked(member, "v5_scam", lambda v: v in ("targeted", "lost")),
        "scam_lost": _asked(member, "v5_scam", lambda v: v == "lost"),
        "digital_signature": _asked(member, "v6_digital_signature", lambda v: v == "yes"),
        "smartphone": _asked(member, "b6_phone", lambda v: v == "smartphone"),
        "computer_use": _asked(member, "b7_computer", lambda v: v == "yes"),
        "home_internet": _asked(household, "a6_internet", lambda v: v == "yes"),
        "household_devices": _bits(household.get("a8_devices"), DEVICE_BITS),
        "topics": _bits(member.get("l1_topics"), TOPIC_BITS),
        "gaps": _bits(list(score.gaps), TOPIC_BITS) if assessed else None,
    }


def apply_help(row: dict, acts, since) -> None:
    """Make true what the person's acts of help after `since` (the interview) show, noting the source."""
    for code, when in acts:
        if since is not None and when < since:
            continue  # help before the interview: the answers already say what it left
        for column in SUPPORT_EFFECTS.get(code, ()):
            if row.get(column) is not True:
                row[column] = True
                row["from_support"] |= SUPPORT_BITS[column]


def derive_rows(submission: Submission, group_id: int, helped: dict | None = None) -> list[dict]:
    """PersonIndicator rows (as dicts) for the adults of one household submission. `helped`: the acts of
    help of members, by (submission id, member position) -> [(code, when)] (support.queries.helped_members)."""
    answers = submission.answers if isinstance(submission.answers, dict) else {}
    household = {k: v for k, v in answers.items() if k != "members"}
    members = answers.get("members") if isinstance(answers.get("members"), list) else []
    rules = rules_for(submission.form_version)
    when = submission.started_at or submission.received_at
    survey_year = when.year if when else 2025
    rows = []
    for index, member in enumerate(members):
        if not isinstance(member, dict):
            continue
        age = _age(member, survey_year)
        if age is not None and age < ADULT_AGE:
            continue  # part B is for members aged 15 or over
        row = _member_row(member, household, rules)
        row.update(
            ward_id=submission.ward_id,
            submission_id=submission.id,
            household_id=submission.household_id,
            residential_group_id=group_id,
            surveyor_id=submission.surveyor_id,
            member_index=index,
            household_lead=not rows,
            age_group=_age_group(member, age),
            sex=member.get("b2_sex") if member.get("b2_sex") in SEXES else None,
            from_support=0,
        )
        if helped:
            apply_help(row, helped.get((submission.id, index), ()), submission.started_at or submission.received_at)
        if age is None:
            row["age_75_plus"] = None
        rows.append(row)
    essentials = [r["essential_five"] for r in rows if r["essential_five"] is not None]
    for row in rows:
        row["household_essential_five"] = any(essentials) if essentials else None
    return rows


def _group_id(submission: Submission, groups_by_code: dict | None = None) -> int | None:
    """The submission's residential group: its own column, the household's, or the a1_group code."""
    if submission.residential_group_id is not None:
        return submission.residential_group_id
    if submission.household_id is not None:
        household = db.session.get(Household, submission.household_id)
        if household is not None:
            return household.residential_group_id
    code = (submission.answers or {}).get("a1_group") if isinstance(submission.answers, dict) else None
    if code is None:
        return None
    if groups_by_code is not None:
        return groups_by_code.get(code)
    return db.session.scalar(
        sa.select(ResidentialGroup.id).where(ResidentialGroup.ward_id == submission.ward_id, ResidentialGroup.code == code)
    )


def counts(submission: Submission) -> bool:
    """Whether a submission feeds the indicators: a household survey not rejected in review."""
    return submission.form_id == FORM_ID and submission.review_status != ReviewStatus.REJECTED


def refresh_person_indicators(submission: Submission) -> int:
    """Re-derive the rows of one submission's household now, in the caller's transaction; flushes.

    Returns the number of rows written. Stored records are derived by the worker from the outbox
    (survey_app/dashboard/tasks.py); this is for callers that need the figures at once.
    """
    db.session.flush()
    if submission.household_id is not None:
        return derive_changes({submission.household_id}, set())
    return derive_changes(set(), {submission.id})


def _counted(household_ids, submission_ids, submissions: list | None = None) -> list[Submission]:
    """Every counted submission of these households, oldest received first, then each of
    `submission_ids` that counts. `submissions`: every submission of those households and those ids,
    oldest received first (quality.submissions_of), if already read."""
    found: list = []
    if submissions is not None:
        loose = set(submission_ids)
        for submission in submissions:
            if submission.household_id in household_ids and submission.household_id is not None:
                if submission.form_id == FORM_ID and submission.review_status != ReviewStatus.REJECTED:
                    found.append(submission)
            elif submission.id in loose and counts(submission):
                found.append(submission)
        return found
    ids = sorted(household_ids)
    for start in range(0, len(ids), 500):
        found.extend(
            db.session.execute(
                sa.select(Submission)
                .where(
                    Submission.household_id.in_(ids[start : start + 500]),
                    Submission.form_id == FORM_ID,
                    Submission.review_status != ReviewStatus.REJECTED,
                )
                .order_by(Submission.received_at, Submission.id)
            ).scalars()
        )
    loose = sorted(submission_ids)
    for start in range(0, len(loose), 500):
        for submission in db.session.execute(
            sa.select(Submission).where(Submission.id.in_(loose[start : start + 500]))
        ).scalars():
            if counts(submission):
                found.append(submission)
    return found


def latest_by_round(submissions) -> tuple[list[Submission], list[Submission]]:
    """Of counted submissions (oldest received first): the latest of each household in its ward's current
    round (interviewed on or after its first day; a ward still in its first round counts them all), and
    the latest of each household among those of an earlier round (a phone offline since the new round
    began: counted in its own round, rounds/operations.keep_late, never in the current one). A re-interview
    replaces the earlier one; a household not surveyed again yet is in no figure of the current round."""
    submissions = list(submissions)
    starts = round_starts({s.ward_id for s in submissions}) if submissions else {}
    zone = local_zone()
    current: dict = {}
    earlier: dict = {}

    def day(submission: Submission):
        return (submission.started_at or submission.received_at).astimezone(zone).date()

    for submission in submissions:
        key = submission.household_id or f"s{submission.id}"
        if submission.ward_id in starts and day(submission) < starts[submission.ward_id]:
            earlier[key] = submission
        else:
            current[key] = submission
    return list(current.values()), list(earlier.values())


#: Sent by `apply_changes` with `submissions`: counted submissions of an earlier round than their ward's
#: current one, re-derived now (a record that arrived late); the rounds capability keeps their rows.
earlier_round_derived = Namespace().signal("earlier-round-derived")


def derive_changes(household_ids: set, submission_ids: set) -> int:
    """Re-derive the PersonIndicator rows of these households (from each one's latest counted survey)
    and of these submissions without a household, then the tallies of every group they touch.

    Idempotent: it reads the stored records as they are, so running it twice writes the same rows.
    Returns the number of rows written.
    """
    return apply_changes(plan_changes(household_ids, submission_ids))


@dataclass
class Changes:
    """What `plan_changes` read and derived, for `apply_changes` to write."""

    household_ids: list
    submission_ids: list
    rows: list  # PersonIndicator rows (dicts)
    groups: set  # every group whose tally and figures change
    earlier: list = field(default_factory=list)  # counted submissions of an earlier round (latest_by_round)


def plan_changes(household_ids: set, submission_ids: set, submissions: list | None = None) -> Changes:
    """The reading and deriving half of `derive_changes`: it writes nothing, so on SQLite it runs
    before the write lock is taken and phones' batches are not kept waiting meanwhile. `submissions`:
    quality.submissions_of(household_ids, submission_ids), when the caller read them already."""
    table = PersonIndicator.__table__
    groups: set = set()
    households, loose = sorted(household_ids), sorted(submission_ids)
    for ids, column in ((households, table.c.household_id), (loose, table.c.submission_id)):
        for start in range(0, len(ids), 500):
            groups.update(
                db.session.scalars(sa.select(table.c.residential_group_id).where(column.in_(ids[start : start + 500])).distinct())
            )
    rows = []
    latest, earlier = latest_by_round(_counted(household_ids, submission_ids, submissions))
    helped = helped_members([s.id for s in latest])
    for submission in latest:
        group_id = _group_id(submission)  # its own column, else its household's
        if group_id is not None:
            rows.extend(derive_rows(submission, group_id, helped))
            groups.add(group_id)
    return Changes(households, loose, rows, groups, earlier)


def apply_changes(changes: Changes) -> int:
    """The writing half of `derive_changes`: replace the rows, then move the figures and the tallies of
    their groups by what changed (figures.shift_figures: the cost of the rows changed, not of the groups)."""
    table = PersonIndicator.__table__

    def replace() -> None:
        for ids, column in ((changes.household_ids, table.c.household_id), (changes.submission_ids, table.c.submission_id)):
            for start in range(0, len(ids), 500):
                db.session.execute(sa.delete(table).where(column.in_(ids[start : start + 500])))
        for start in range(0, len(changes.rows), 5000):
            db.session.execute(sa.insert(table), changes.rows[start : start + 5000])

    from survey_app.dashboard.figures import shift_figures  # figures reads this module's indicators

    if changes.household_ids or changes.submission_ids:
        changed = sa.or_(
            *(
                column.in_(ids)
                for ids, column in (
                    (changes.household_ids, table.c.household_id),
                    (changes.submission_ids, table.c.submission_id),
                )
                if ids
            )
        )
        shift_figures(changes.groups, changed, replace)
    tallies_from_figures(changes.groups)
    if changes.earlier:
        earlier_round_derived.send(None, submissions=changes.earlier)
    return len(changes.rows)


def tallies_from_figures(group_ids) -> None:
    """Rewrite the tallies of these groups from their kept figures (the whole-group cell holds every
    headline count); a group with no figure has no tally."""
    group_ids = sorted({gid for gid in group_ids if gid is not None})
    if not group_ids:
        return
    tallies, figure = IndicatorTally.__table__, IndicatorFigure.__table__
    db.session.execute(sa.delete(tallies).where(tallies.c.residential_group_id.in_(group_ids)))
    names = [c.name for c in tallies.columns if c.name != "id"]
    db.session.execute(
        sa.insert(tallies).from_select(
            names,
            sa.select(*(figure.c[name] for name in names)).where(
                figure.c.residential_group_id.in_(group_ids), figure.c.breakdown == "group"
            ),
        )
    )


def _lock_groups(group_ids) -> None:
    """One tally rewrite per group at a time: two PostgreSQL transactions rewriting the same group's
    tally would both insert it (unique violation). SQLite writes one transaction at a time anyway.

    FOR NO KEY UPDATE, not FOR UPDATE: the rows this transaction has just inserted (visits, persons)
    hold a KEY SHARE lock on their group, which FOR UPDATE conflicts with, so two requests of the
    same group waited on each other's KEY SHARE and PostgreSQL killed one ("deadlock detected", a 503
    to the phone). NO KEY UPDATE still serialises the rewrites and does not wait for KEY SHARE."""
    if group_ids:
        db.session.execute(
            sa.select(ResidentialGroup.id)
            .where(ResidentialGroup.id.in_(sorted(group_ids)))
            .order_by(ResidentialGroup.id)
            .with_for_update(key_share=True)
        )


def rebuild_indicators(ward_id: int) -> int:
    """Re-derive every row of a ward from its submissions; flushes. Returns the rows written."""
    table = PersonIndicator.__table__
    db.session.flush()
    db.session.execute(sa.delete(table).where(table.c.ward_id == ward_id))
    groups = dict(
        db.session.execute(sa.select(ResidentialGroup.code, ResidentialGroup.id).where(ResidentialGroup.ward_id == ward_id)).all()
    )
    submissions = db.session.execute(
        sa.select(Submission)
        .where(
            Submission.ward_id == ward_id,
            Submission.form_id == FORM_ID,
            Submission.review_status != ReviewStatus.REJECTED,
        )
        .order_by(Submission.received_at, Submission.id)
    ).scalars()
    latest, _earlier = latest_by_round(submissions)  # an earlier round's rows are its own (rounds/)
    written, batch = 0, []
    helped = helped_members(ward_id=ward_id)
    for submission in latest:
        group_id = _group_id(submission, groups)
        if group_id is not None:
            batch.extend(derive_rows(submission, group_id, helped))
        if len(batch) >= 5000:
            db.session.execute(sa.insert(table), batch)
            written, batch = written + len(batch), []
    if batch:
        db.session.execute(sa.insert(table), batch)
        written += len(batch)
    from survey_app.dashboard.figures import rebuild_figures  # figures reads this module's indicators

    rebuild_figures(ward_id)
    db.session.execute(sa.delete(IndicatorTally.__table__).where(IndicatorTally.ward_id == ward_id))
    tallies_from_figures(groups.values())
    shares.rewrite(groups.values())
    quality.measure_ward(ward_id)  # the data-quality checks of the same records
    outbox.clear_ward(ward_id)  # every change of the ward is in the rows just derived
    stamp_fresh({ward_id})
    return written


# ---------------------------------------------------------------- aggregates


@dataclass(frozen=True)
class Indicator:
    """One share: numerator over the adults asked (the denominator).

    Plan targets are not part of it: they are data per city and ward (survey_app/wards/targets.py).
    """

    key: str
    section: str
    numerator: object
    denominator: object
    #: Counted over households (one lead row per household) rather than adults.
    household: bool = False


def _where(condition):
    """Count of rows where `condition` holds (an aggregate FILTER: SQLite 3.30+ and PostgreSQL)."""
    return sa.func.count().filter(condition)


def _true(column):
    return _where(column.is_(True))


def _bit(column, bit: int):
    return _where(column.op("&")(bit) != 0)


def _flag(name: str, section: str) -> Indicator:
    column = getattr(PersonIndicator, name)
    return Indicator(name, section, _true(column), sa.func.count(column))


def _household(key: str, section: str, holds, asked) -> Indicator:
    """An answer about the household, counted once per household (its lead row), not once per adult."""
    lead = PersonIndicator.household_lead.is_(True)
    return Indicator(key, section, _where(sa.and_(lead, holds)), _where(sa.and_(lead, asked)), household=True)


def _indicators() -> tuple[Indicator, ...]:
    pi = PersonIndicator
    level_count = sa.func.count(pi.level)
    found = [Indicator(f"level_{i}", "levels", _where(pi.level == i), level_count) for i in range(len(LEVELS))]
    found.append(Indicator("level_4_plus", "levels", _where(pi.level >= 4), level_count))
    found += [_flag("internet_user", "levels"), _flag("essential_five", "essential")]
    found.append(
        _household(
            "household_essential_five",
            "essential",
            pi.household_essential_five.is_(True),
            pi.household_essential_five.is_not(None),
        )
    )
    found += [
        _flag("vneid_account", "services"),
        _flag("vneid_level2", "services"),
        _flag("public_services_self", "services"),
        _flag("public_services_any", "services"),
        _flag("cashless", "services"),
        _flag("digital_signature", "services"),
        _flag("scam_exposed", "safety"),
        _flag("scam_lost", "safety"),
        _flag("smartphone", "devices"),
        _flag("computer_use", "devices"),
        _household("home_internet", "devices", pi.home_internet.is_(True), pi.home_internet.is_not(None)),
    ]
    found += [
        _household(f"device_{name}", "devices", pi.household_devices.op("&")(bit) != 0, pi.household_devices.is_not(None))
        for name, bit in DEVICE_BITS.items()
    ]
    found += [
        Indicator(f"wants_{code}", "learning", _bit(pi.topics, bit), sa.func.count(pi.topics)) for code, bit in TOPIC_BITS.items()
    ]
    found += [Indicator(f"gap_{code}", "gaps", _bit(pi.gaps, TOPIC_BITS[code]), sa.func.count(pi.gaps)) for code in MODULES]
    return tuple(found)


INDICATORS = _indicators()
#: Indicators of the city roll-up and the breakdown tables, one column each.
HEADLINE = (
    "level_4_plus",
    "essential_five",
    "vneid_level2",
    "public_services_self",
    "cashless",
    "scam_exposed",
    "digital_signature",
    "smartphone",
)
BREAKDOWNS = ("total", "group", "age_group", "sex", "vulnerable")
_KEYS = {
    "total": (),
    "ward": (PersonIndicator.ward_id,),
    "group": (PersonIndicator.residential_group_id,),
    "age_group": (PersonIndicator.age_group,),
    "sex": (PersonIndicator.sex,),
    "vulnerable": tuple(getattr(PersonIndicator, f) for f in VULNERABLE_FLAGS),
}


def _columns(indicators):
    pi = PersonIndicator
    columns = [sa.func.count().label("adults"), _true(pi.proxy).label("proxy"), _true(pi.household_lead).label("households")]
    for ind in indicators:
        columns += [ind.numerator.label(f"{ind.key}__n"), ind.denominator.label(f"{ind.key}__of")]
    return columns


def _bucket(values: dict, indicators) -> dict:
    """Turn summed columns into {adults, proxy, households, indicators: {key: {n, of, share}}}."""
    shares = {}
    for ind in indicators:
        n, of = values.get(f"{ind.key}__n") or 0, values.get(f"{ind.key}__of") or 0
        shares[ind.key] = {"n": int(n), "of": int(of), "share": (n / of) if of else None}
    return {
        "adults": int(values.get("adults") or 0),
        "proxy": int(values.get("proxy") or 0),
        "households": int(values.get("households") or 0),
        "indicators": shares,
    }


def aggregate(where, by: str = "total") -> list[tuple]:
    """[(key, bucket)] for one breakdown (BREAKDOWNS, or "ward") of the PersonIndicator rows matching `where`."""
    indicators = INDICATORS
    keys = _KEYS[by]
    query = sa.select(*keys, *_columns(indicators)).where(*where)
    if keys:
        query = query.group_by(*keys)
    rows = db.session.execute(query).mappings().all()
    if by == "vulnerable":
        return _vulnerable(rows, indicators)
    if not keys:
        return [("total", _bucket(rows[0] if rows else {}, indicators))]
    return [(row[keys[0].key], _bucket(row, indicators)) for row in rows]


def _vulnerable(rows, indicators) -> list[tuple]:
    """Roll the 16 flag combinations up into overlapping categories, plus 'any' and 'none'."""
    totals = {name: {} for name in (*VULNERABLE_FLAGS, "any", "none")}
    for row in rows:
        flags = [name for name in VULNERABLE_FLAGS if row[name]]
        for name in (flags + ["any"]) if flags else ["none"]:
            target = totals[name]
            for key, value in row.items():
                if key not in VULNERABLE_FLAGS and value is not None:
                    target[key] = target.get(key, 0) + value
    return [(name, _bucket(values, indicators)) for name, values in totals.items()]


# ---------------------------------------------------------------- tallies per group (city roll-up)

_HEADLINE_INDICATORS = tuple(i for i in INDICATORS if i.key in HEADLINE)
assert all(hasattr(IndicatorTally, f"{key}_n") and hasattr(IndicatorTally, f"{key}_of") for key in HEADLINE)


def tallies_by_ward(ward_ids) -> list[tuple]:
    """[(ward_id, bucket)] of the headline indicators, added up from the group tallies."""
    t = IndicatorTally
    columns = [
        sa.func.sum(t.adults).label("adults"),
        sa.func.sum(t.proxy).label("proxy"),
        sa.func.sum(t.households).label("households"),
    ]
    for key in HEADLINE:
        columns += [
            sa.func.sum(getattr(t, f"{key}_n")).label(f"{key}__n"),
            sa.func.sum(getattr(t, f"{key}_of")).label(f"{key}__of"),
        ]
    rows = db.session.execute(sa.select(t.ward_id, *columns).where(t.ward_id.in_(ward_ids)).group_by(t.ward_id))
    return [(row["ward_id"], _bucket(row, _HEADLINE_INDICATORS)) for row in rows.mappings()]
