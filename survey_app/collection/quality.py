"""Data-quality checks on each submission: too short for its members, GPS far from the group's area or
too imprecise, the same answer on every skill item (straightlining), finished minutes after the
surveyor's previous interview, a household interviewed twice.

The worker measures each submission once it is stored or corrected (`measure`, from the outbox, with
the figures) into SubmissionCheck; the ward's thresholds (Ward.quality_thresholds, ward settings) are
applied in SQL when flags are read (`flag_clauses`), so changing a threshold re-derives nothing.
Skill items are the member questions named `s<number>_…` (section S of the questionnaire).
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from survey_app.accounts.models import User
from survey_app.collection.duplicates import plain
from survey_app.collection.models import Channel, Household, ReviewStatus, Submission, SubmissionCheck
from survey_app.extensions import db
from survey_app.wards.models import ResidentialGroup, Ward

SKILL_ITEM = re.compile(r"^s\d+_")
EARTH_RADIUS_M = 6_371_000


@dataclass(frozen=True)
class Threshold:
    key: str
    label: object
    default: int
    low: int
    high: int


#: The ward settings that decide the flags (whole numbers).
THRESHOLDS = (
    Threshold("min_minutes_base", _l("Shortest interview: minutes for the household part"), 3, 0, 120),
    Threshold("min_minutes_per_member", _l("Shortest interview: minutes per member"), 2, 0, 60),
    Threshold("max_gps_accuracy_m", _l("Largest GPS error accepted (metres)"), 50, 5, 5000),
    Threshold("max_gps_distance_m", _l("Farthest a point may be outside its group's area (metres)"), 200, 0, 20000),
    Threshold("straightline_items", _l("Same answer on at least this many skill items"), 12, 2, 50),
    Threshold("min_gap_minutes", _l("Fewest minutes between two interviews of one surveyor"), 3, 0, 120),
)


def flag_labels() -> dict:
    return {
        "short": _l("Interview shorter than expected for its members"),
        "gps_far": _l("GPS point far from the group's area"),
        "gps_poor": _l("GPS point not precise"),
        "straightline": _l("The same answer on every skill item"),
        "burst": _l("Finished minutes after the surveyor's previous interview"),
        "twice": _l("The household was interviewed more than once"),
    }


def flag_short_labels() -> dict:
    """A word or two per flag, for table headers (the full label is their title)."""
    return {
        "short": _l("Too short"),
        "gps_far": _l("GPS far"),
        "gps_poor": _l("GPS imprecise"),
        "straightline": _l("Same answers"),
        "burst": _l("Too close in time"),
        "twice": _l("Interviewed twice"),
    }


FLAGS = tuple(flag_labels())


def thresholds_of(ward) -> dict:
    """The ward's thresholds, each one it has not set at its default."""
    chosen = ward.quality_thresholds if isinstance(ward.quality_thresholds, dict) else {}
    return {t.key: int(chosen[t.key]) if isinstance(chosen.get(t.key), int) else t.default for t in THRESHOLDS}


def flag_clauses(limits: dict) -> dict:
    """code -> SQL condition on SubmissionCheck that raises the flag, with these thresholds."""
    c = SubmissionCheck
    return {
        "short": c.duration_s < (limits["min_minutes_base"] + limits["min_minutes_per_member"] * c.members) * 60,
        "gps_far": c.distance_m > limits["max_gps_distance_m"],
        "gps_poor": c.accuracy_m > limits["max_gps_accuracy_m"],
        "straightline": c.same_skill_items >= limits["straightline_items"],
        "burst": c.gap_s < limits["min_gap_minutes"] * 60,
        "twice": c.repeat_of_id.is_not(None),
    }


def _raised(clauses: dict) -> list:
    """One 0/1 column per flag, for a query of SubmissionCheck rows (a NULL measure raises nothing)."""
    return [sa.case((clause, 1), else_=0).label(f"flag_{code}") for code, clause in clauses.items()]


def _flags_of(row) -> list[str]:
    return [code for code in FLAGS if getattr(row, f"flag_{code}")]


# ---- measuring (the worker) -----------------------------------------------------------------


@dataclass
class Checks:
    """What `plan_checks` measured, for `apply_checks` to write."""

    submission_ids: list
    rows: list


def measure(household_ids: set, submission_ids: set) -> int:
    """(Re)write the checks of every submission of these households and of these submissions; flushes.
    Idempotent: it reads the stored records as they are. Returns the number of checks written."""
    return apply_checks(plan_checks(household_ids, submission_ids))


def plan_checks(household_ids: set, submission_ids: set, submissions: list | None = None) -> Checks:
    """The reading and measuring half of `measure` (no writes: on SQLite the worker runs it before the
    write lock). `submissions`: those of `submissions_of(household_ids, submission_ids)`, if already read."""
    if submissions is None:
        submissions = submissions_of(household_ids, submission_ids)
    if not submissions:
        return Checks([], [])
    groups = {
        g.id: g
        for g in db.session.execute(
            sa.select(ResidentialGroup).where(
                ResidentialGroup.id.in_({s.residential_group_id for s in submissions if s.residential_group_id})
            )
        ).scalars()
    }
    earlier_of_household: dict = {}
    gaps, same_online = _gaps(submissions), _online_repeats(submissions)
    rows = []
    for submission in submissions:
        first = earlier_of_household.get(submission.household_id) if submission.household_id else None
        if submission.household_id and first is None and submission.review_status != ReviewStatus.REJECTED:
            earlier_of_household[submission.household_id] = submission.id
        first = first or same_online.get(submission.id)
        rows.append(_measured(submission, groups.get(submission.residential_group_id), first, gaps.get(submission.id)))
    return Checks([s.id for s in submissions], rows)


def apply_checks(checks: Checks) -> int:
    """The writing half of `measure`: replace the checks of the submissions measured."""
    table = SubmissionCheck.__table__
    for start in range(0, len(checks.submission_ids), 5000):
        db.session.execute(sa.delete(table).where(table.c.submission_id.in_(checks.submission_ids[start : start + 5000])))
    for start in range(0, len(checks.rows), 5000):
        db.session.execute(sa.insert(table), checks.rows[start : start + 5000])
    return len(checks.rows)


def measure_ward(ward_id: int) -> int:
    """(Re)write the checks of every submission of a ward (after a rebuild, or the demo)."""
    households = set(
        db.session.scalars(
            sa.select(Submission.household_id)
            .where(Submission.ward_id == ward_id, Submission.household_id.is_not(None))
            .distinct()
        )
    )
    loose = set(
        db.session.scalars(sa.select(Submission.id).where(Submission.ward_id == ward_id, Submission.household_id.is_(None)))
    )
    written = 0
    households, loose = sorted(households), sorted(loose)
    for start in range(0, max(len(households), len(loose)), 2000):
        written += measure(set(households[start : start + 2000]), set(loose[start : start + 2000]))
    return written


def submissions_of(household_ids: set, submission_ids: set) -> list[Submission]:
    """Every submission of these households and these submissions, oldest received first."""
    clauses = []
    if household_ids:
        clauses.append(Submission.household_id.in_(sorted(household_ids)))
    if submission_ids:
        clauses.append(Submission.id.in_(sorted(submission_ids)))
    if not clauses:
        return []
    return (
        db.session.execute(sa.select(Submission).where(sa.or_(*clauses)).order_by(Submission.received_at, Submission.id))
        .scalars()
        .all()
    )


def _measured(submission: Submission, group: ResidentialGroup | None, repeat_of: int | None, gap: int | None) -> dict:
    answers = submission.answers if isinstance(submission.answers, dict) else {}
    members = [m for m in answers.get("members", []) if isinstance(m, dict)] if isinstance(answers.get("members"), list) else []
    started, finished = submission.started_at, submission.finished_at
    point = (submission.latitude, submission.longitude) if submission.latitude is not None else None
    return {
        "submission_id": submission.id,
        "ward_id": submission.ward_id,
        "residential_group_id": submission.residential_group_id,
        "surveyor_id": submission.surveyor_id,
        "duration_s": int((finished - started).total_seconds()) if started and finished and finished >= started else None,
        "members": len(members),
        "accuracy_m": submission.accuracy_m,
        "distance_m": _distance_to_area(point, group.boundary) if point and group is not None and group.boundary else None,
        "same_skill_items": max((_same_answers(m) for m in members), default=0),
        "gap_s": gap,
        "repeat_of_id": repeat_of if repeat_of != submission.id else None,
    }


def _same_answers(member: dict) -> int:
    """How many skill items the member answered, when every answer is the same; else 0."""
    values = [v for k, v in member.items() if SKILL_ITEM.match(k) and v not in (None, "", [])]
    return len(values) if len(values) > 1 and all(v == values[0] for v in values) else 0


def _online_repeats(submissions: list[Submission]) -> dict[int, int]:
    """For self-surveys matched to no listed household: an earlier one of the same group with the same
    address and head's name (two residents of one household, or one resident twice), by submission id."""
    loose = [s for s in submissions if s.household_id is None and s.channel == Channel.ONLINE]
    found = {}
    for group_id in {s.residential_group_id for s in loose}:
        earlier = (
            db.session.execute(
                sa.select(Submission)
                .where(
                    Submission.residential_group_id == group_id,
                    Submission.household_id.is_(None),
                    Submission.channel == Channel.ONLINE,
                    Submission.review_status != ReviewStatus.REJECTED,
                )
                .order_by(Submission.received_at, Submission.id)
            )
            .scalars()
            .all()
        )
        for submission in (s for s in loose if s.residential_group_id == group_id):
            key = _household_key(submission)
            first = next(
                (
                    e.id
                    for e in earlier
                    if e.id != submission.id
                    and _household_key(e) == key
                    and (e.received_at, e.id) < (submission.received_at, submission.id)
                ),
                None,
            )
            if key[0] and first is not None:
                found[submission.id] = first
    return found


def _household_key(submission: Submission) -> tuple[str, str]:
    answers = submission.answers if isinstance(submission.answers, dict) else {}
    return plain(answers.get("a2_address")), plain(answers.get("a3_head_name"))


def _gaps(submissions: list[Submission]) -> dict[int, int]:
    """Seconds since the same surveyor's previous interview (by finish time) finished, by submission id."""
    surveyors = sorted({s.surveyor_id for s in submissions if s.surveyor_id is not None})
    wanted = {s.id for s in submissions}
    gaps, last = {}, {}
    for start in range(0, len(surveyors), 500):
        for sid, surveyor_id, finished in db.session.execute(
            sa.select(Submission.id, Submission.surveyor_id, Submission.finished_at)
            .where(Submission.surveyor_id.in_(surveyors[start : start + 500]), Submission.finished_at.is_not(None))
            .order_by(Submission.surveyor_id, Submission.finished_at, Submission.id)
        ):
            if sid in wanted and surveyor_id in last:
                gaps[sid] = int((finished - last[surveyor_id]).total_seconds())
            last[surveyor_id] = finished
    return gaps


def _distance_to_area(point: tuple[float, float], boundary: dict) -> float | None:
    """Metres from a (lat, lon) point to a GeoJSON Polygon or MultiPolygon: 0 inside it."""
    kind, coordinates = boundary.get("type"), boundary.get("coordinates")
    polygons = [coordinates] if kind == "Polygon" else coordinates if kind == "MultiPolygon" else None
    if not polygons:
        return None
    lat0 = math.radians(point[0])

    def metres(lon, lat):  # a local flat projection: enough over a ward
        return (math.radians(lon) * math.cos(lat0) * EARTH_RADIUS_M, math.radians(lat) * EARTH_RADIUS_M)

    x, y = metres(point[1], point[0])
    nearest, inside = math.inf, False
    for polygon in polygons:
        ring = [metres(p[0], p[1]) for p in polygon[0]]
        crossed = False
        for (x1, y1), (x2, y2) in zip(ring, ring[1:] + ring[:1]):
            if (y1 > y) != (y2 > y) and x < (x2 - x1) * (y - y1) / (y2 - y1) + x1:
                crossed = not crossed
            nearest = min(nearest, _to_segment(x, y, x1, y1, x2, y2))
        inside = inside or crossed
    return 0.0 if inside else round(nearest, 1)


def _to_segment(x, y, x1, y1, x2, y2) -> float:
    dx, dy = x2 - x1, y2 - y1
    length = dx * dx + dy * dy
    t = 0.0 if length == 0 else max(0.0, min(1.0, ((x - x1) * dx + (y - y1) * dy) / length))
    return math.hypot(x - (x1 + t * dx), y - (y1 + t * dy))


# ---- reading ---------------------------------------------------------------------------------


def by_surveyor(ward, visible_clause) -> list[dict]:
    """Per surveyor of the ward: submissions measured and how many raise each flag, the surveyors with
    the largest share of flags first."""
    clauses = flag_clauses(thresholds_of(ward))
    columns = [sa.func.sum(sa.case((clause, 1), else_=0)).label(code) for code, clause in clauses.items()]
    rows = db.session.execute(
        sa.select(SubmissionCheck.surveyor_id, User.full_name, sa.func.count().label("checked"), *columns)
        .join(Submission, Submission.id == SubmissionCheck.submission_id)
        .outerjoin(User, User.id == SubmissionCheck.surveyor_id)
        .where(SubmissionCheck.ward_id == ward.id, visible_clause)
        .group_by(SubmissionCheck.surveyor_id, User.full_name)
    ).all()
    found = [
        {
            "surveyor_id": r.surveyor_id,
            "name": r.full_name,
            "checked": r.checked,
            **{code: getattr(r, code) or 0 for code in clauses},
        }
        for r in rows
    ]
    share = lambda row: sum(row[code] for code in clauses) / max(row["checked"], 1)  # noqa: E731
    return sorted(found, key=lambda row: (-share(row), row["name"] or ""))  # the most flagged first


def flagged(ward, visible_clause, code: str | None = None, surveyor_id: int | None = None, limit: int = 50) -> list:
    """The flagged submissions (newest first), with the flags each raises."""
    clauses = flag_clauses(thresholds_of(ward))
    wanted = [clauses[code]] if code in clauses else list(clauses.values())
    query = (
        sa.select(
            SubmissionCheck.submission_id, Submission.received_at, Household.address, Household.head_name, *_raised(clauses)
        )
        .join(Submission, Submission.id == SubmissionCheck.submission_id)
        .outerjoin(Household, Household.id == Submission.household_id)
        .where(SubmissionCheck.ward_id == ward.id, visible_clause, sa.or_(*wanted))
    )
    if surveyor_id is not None:
        query = query.where(SubmissionCheck.surveyor_id == surveyor_id)
    rows = db.session.execute(query.order_by(Submission.received_at.desc(), Submission.id.desc()).limit(limit)).all()
    return [
        {
            "submission_id": r.submission_id,
            "received_at": r.received_at,
            "address": r.address,
            "head_name": r.head_name,
            "flags": _flags_of(r),
        }
        for r in rows
    ]


def flags_for(submission: Submission) -> list[str]:
    """The flags of one submission, with its ward's thresholds."""
    clauses = flag_clauses(thresholds_of(db.session.get(Ward, submission.ward_id)))
    row = db.session.execute(sa.select(*_raised(clauses)).where(SubmissionCheck.submission_id == submission.id)).first()
    return _flags_of(row) if row is not None else []
