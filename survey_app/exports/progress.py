"""The ward's progress report to the city for a period (issue 18, item 5): surveyed, trained, helped,
and each plan target with its value and gap, one sheet per section with Vietnamese headings.

Surveyed households are counted up to the period's last day (and those interviewed within it), from
the visits; classes, sessions and learners from the sessions held within the period, completions from
every session up to its last day (the ward's completion rule); help from the support events within it.
The targets' values are the indicators as the dashboard shows them today. For city roles every count
under the disclosure threshold is hidden, as in the ward workbook.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from functools import partial

import sqlalchemy as sa
from flask_babel import force_locale
from flask_babel import lazy_gettext as _l

from survey_app.audit.operations import record
from survey_app.clock import local_zone
from survey_app.collection.models import Visit, VisitOutcome
from survey_app.dashboard import queries as dashboard
from survey_app.dashboard.labels import indicator_labels
from survey_app.disclosure import is_small
from survey_app.exports.models import ExportFormat
from survey_app.exports.operations import ExportError, free_target, resolve_scope, write_export
from survey_app.exports.reports import _small, coverage_figures
from survey_app.exports.spec import DATE, DECIMAL, INT, LINE, PERCENT, TEXT, Chart, Column, Scope, Sheet
from survey_app.extensions import db
from survey_app.planning.models import PlanClass
from survey_app.planning.scoring import load_rules
from survey_app.rounds import queries as rounds
from survey_app.support.models import SupportEvent, SupportType, support_event_types
from survey_app.training.models import Attendance, ClassSession
from survey_app.training.queries import completions, home_taught_by_module
from survey_app.wards import targets as plan_targets
from survey_app.wards.models import Ward

#: The longest period one report covers (two years: a plan's yearly targets, 2025 then 2026).
MAX_PERIOD_DAYS = 731


@dataclass(frozen=True)
class Period:
    starts_on: date
    ends_on: date

    def instants(self) -> tuple[datetime, datetime]:
        """The period as [first instant, first instant after it) in the ward's time zone."""
        zone = local_zone()
        return datetime.combine(self.starts_on, time(), zone), datetime.combine(self.ends_on + timedelta(days=1), time(), zone)

    @property
    def label(self) -> str:
        return f"{self.starts_on:%d/%m/%Y} – {self.ends_on:%d/%m/%Y}"


def _once(scope: Scope, key: str, compute):
    """A figure the summary and its section's sheet both read, computed once per report (scope.cache)."""
    if key not in scope.cache:
        scope.cache[key] = compute()
    return scope.cache[key]


def _words(scope: Scope, vi: str, en: str) -> str:
    return en if scope.lang == "en" else vi


# ---------------------------------------------------------------- 1. surveyed


def _interviewed(scope: Scope, period: Period) -> tuple[dict[int, int], dict[int, int]]:
    """Per group: households interviewed up to the period's end, and within the period."""
    return _once(scope, "progress.interviewed", lambda: _count_interviewed(scope, period))


def _count_interviewed(scope: Scope, period: Period) -> tuple[dict[int, int], dict[int, int]]:
    start, end = period.instants()
    until, within = {}, {}
    base = sa.select(Visit.residential_group_id, sa.func.count(sa.distinct(Visit.household_id))).where(
        Visit.ward_id == scope.ward_id,
        Visit.outcome == VisitOutcome.INTERVIEWED,
        Visit.residential_group_id.in_(scope.group_ids),
        Visit.visited_at < end,
    )
    for target, query in ((until, base), (within, base.where(Visit.visited_at >= start))):
        target.update(db.session.execute(query.group_by(Visit.residential_group_id)).all())
    return until, within


def survey_sheet(scope: Scope, period: Period) -> Sheet:
    columns = [
        Column("group_code", "Mã tổ dân phố", "Group code", TEXT, 12),
        Column("group_name", "Tổ dân phố", "Residential group", TEXT, 30),
        Column("expected", "Hộ dự kiến", "Expected households", INT, 12),
        Column("interviewed", "Hộ đã khảo sát (đến cuối kỳ)", "Households surveyed (to the period's end)", INT, 14),
        Column("in_period", "Hộ khảo sát trong kỳ", "Households surveyed in the period", INT, 14),
        Column("coverage", "Tỷ lệ hoàn thành", "Coverage", PERCENT, 11),
    ]
    return Sheet(
        "progress_survey",
        "1. Khảo sát",
        "1. Surveyed",
        columns,
        partial(_survey_rows, scope, period),
        lambda: 0,
        freeze_columns=2,
    )


def _survey_rows(scope: Scope, period: Period):
    groups = coverage_figures(scope)["groups"]
    until, within = _interviewed(scope, period)
    total = [0, 0, 0]
    for group in groups:
        row = (group["expected"], until.get(group["id"], 0), within.get(group["id"], 0))
        total = [a + b for a, b in zip(total, row)]
        yield (group["code"], group["name"], *(_small(scope, v) for v in row), _coverage(scope, row))
    yield ("", _words(scope, "Toàn phường", "Whole ward"), *(_small(scope, v) for v in total), _coverage(scope, total))


def _coverage(scope: Scope, row) -> float | None:
    expected, interviewed, _within = row
    if not expected or (scope.figures_only and (is_small(expected) or is_small(interviewed))):
        return None
    return min(interviewed / expected, 1.0)


def survey_totals(scope: Scope, period: Period) -> dict:
    until, within = _interviewed(scope, period)
    expected = sum(g["expected"] for g in coverage_figures(scope)["groups"])
    return {"expected": expected, "interviewed": sum(until.values()), "in_period": sum(within.values())}


# ---------------------------------------------------------------- 2. trained


def training_by_module(scope: Scope, period: Period) -> dict[str, dict]:
    """Per module: classes and sessions held within the period, learners who came within it (to a class,
    or taught at home), and learners who completed the module by its end (the ward's rule: sessions
    attended, or lessons at home on as many days)."""
    return _once(scope, "progress.training", lambda: _count_training(scope, period))


def _count_training(scope: Scope, period: Period) -> dict[str, dict]:
    held = (
        sa.select(
            PlanClass.module,
            sa.func.count(sa.distinct(ClassSession.plan_class_id)),
            sa.func.count(ClassSession.id),
        )
        .join(PlanClass, PlanClass.id == ClassSession.plan_class_id)
        .where(ClassSession.ward_id == scope.ward_id, ClassSession.held_on.between(period.starts_on, period.ends_on))
        .group_by(PlanClass.module)
    )
    found = {module: {"classes": c, "sessions": s, "came": 0, "completed": 0} for module, c, s in db.session.execute(held)}
    came = (
        sa.select(PlanClass.module, sa.func.count(sa.distinct(Attendance.plan_class_id.cast(sa.String) + Attendance.learner_key)))
        .join(ClassSession, ClassSession.id == Attendance.class_session_id)
        .join(PlanClass, PlanClass.id == Attendance.plan_class_id)
        .where(Attendance.ward_id == scope.ward_id, ClassSession.held_on.between(period.starts_on, period.ends_on))
        .group_by(PlanClass.module)
    )
    empty = {"classes": 0, "sessions": 0, "came": 0, "completed": 0}
    for module, count in db.session.execute(came):
        found.setdefault(module, dict(empty))["came"] = count
    for module, count in home_taught_by_module(scope.ward_id, period.starts_on, period.ends_on).items():
        found.setdefault(module, dict(empty))["came"] += count  # taught at home: a learner who came
    done = completions([scope.ward_id], until=period.ends_on)
    for module, count in db.session.execute(sa.select(done.c.module, sa.func.count()).group_by(done.c.module)):
        found.setdefault(module, dict(empty))["completed"] = count
    return dict(sorted(found.items()))


def training_sheet(scope: Scope, period: Period) -> Sheet:
    columns = [
        Column("module", "Mã học phần", "Module", TEXT, 10),
        Column("title", "Học phần", "Module title", TEXT, 44),
        Column("classes", "Lớp đã học trong kỳ", "Classes held in the period", INT, 12),
        Column("sessions", "Buổi học trong kỳ", "Sessions in the period", INT, 12),
        Column("came", "Học viên tham dự trong kỳ", "Learners who came in the period", INT, 14),
        Column("completed", "Học viên hoàn thành (đến cuối kỳ)", "Learners who completed (to the period's end)", INT, 16),
    ]
    return Sheet(
        "progress_training",
        "2. Đào tạo",
        "2. Trained",
        columns,
        partial(_training_rows, scope, period),
        lambda: 0,
        freeze_columns=2,
    )


def _training_rows(scope: Scope, period: Period):
    rules = load_rules()
    total = dict.fromkeys(("classes", "sessions", "came", "completed"), 0)
    for module, row in training_by_module(scope, period).items():
        title = rules.module(module).title if module in rules.module_codes else {}
        words = title.get(scope.lang) or title.get("vi") or "" if isinstance(title, dict) else str(title)
        for key in total:
            total[key] += row[key]
        yield (module.upper(), words, *(_small(scope, row[k]) for k in total))
    yield ("", _words(scope, "Tổng cộng", "Total"), *(_small(scope, v) for v in total.values()))


# ---------------------------------------------------------------- 3. helped


def support_by_kind(scope: Scope, period: Period) -> tuple[list[tuple], dict]:
    """Per kind of help within the period: (code, name, events, people); and the totals (events, people,
    hours). A surveyed person counts once, each anonymous event as one person."""
    return _once(scope, "progress.support", lambda: _count_support(scope, period))


def _count_support(scope: Scope, period: Period) -> tuple[list[tuple], dict]:
    start, end = period.instants()
    within = (SupportEvent.ward_id == scope.ward_id, SupportEvent.occurred_at >= start, SupportEvent.occurred_at < end)
    people = sa.func.count(sa.distinct(SupportEvent.person_id)) + sa.func.count().filter(SupportEvent.person_id.is_(None))
    name = SupportType.name_en if scope.lang == "en" else SupportType.name_vi
    rows = db.session.execute(
        sa.select(SupportType.code, name, sa.func.count(), people)
        .join(support_event_types, support_event_types.c.support_type_id == SupportType.id)
        .join(SupportEvent, SupportEvent.id == support_event_types.c.support_event_id)
        .where(*within)
        .group_by(SupportType.code, name, SupportType.sort_order)
        .order_by(SupportType.sort_order, SupportType.code)
    ).all()
    events, helped, minutes = db.session.execute(
        sa.select(sa.func.count(), people, sa.func.coalesce(sa.func.sum(SupportEvent.minutes), 0)).where(*within)
    ).one()
    return [tuple(r) for r in rows], {"events": events, "people": helped, "hours": round(minutes / 60, 1)}


def support_sheet(scope: Scope, period: Period) -> Sheet:
    columns = [
        Column("kind", "Mã loại hỗ trợ", "Kind code", TEXT, 16),
        Column("name", "Loại hỗ trợ", "Kind of help", TEXT, 44),
        Column("events", "Lượt hỗ trợ", "Acts of help", INT, 12),
        Column("people", "Người được hỗ trợ", "People helped", INT, 14),
    ]
    return Sheet(
        "progress_support", "3. Hỗ trợ", "3. Helped", columns, partial(_support_rows, scope, period), lambda: 0, freeze_columns=2
    )


def _support_rows(scope: Scope, period: Period):
    rows, totals = support_by_kind(scope, period)
    for code, name, events, people in rows:
        yield (code, name, _small(scope, events), _small(scope, people))
    yield ("", _words(scope, "Tổng cộng (một lượt có thể gồm nhiều loại)", "Total (one act may be of several kinds)"),
           _small(scope, totals["events"]), _small(scope, totals["people"]))  # fmt: skip


# ---------------------------------------------------------------- 4. targets


def target_rows(scope: Scope) -> list[tuple]:
    """(key, name, value, target, gap, met) of each plan target: the value as the dashboard shows it today."""
    return _once(scope, "progress.targets", lambda: _target_figures(scope))


def _target_figures(scope: Scope) -> list[tuple]:
    ward = db.session.get(Ward, scope.ward_id)
    ((_key, bucket),) = dashboard.ward_indicators(scope.viewer, scope.ward_id, "total")
    names = indicator_labels()
    rows = []
    for key, target in plan_targets.for_ward(ward).items():
        figure = bucket["indicators"].get(key)
        if figure is None:
            continue
        hidden = scope.figures_only and (is_small(figure["n"]) or is_small(figure["of"] - figure["n"]))
        value = None if hidden else figure["share"]
        gap = None if value is None else round(max(target - value, 0.0), 4)
        rows.append((key, str(names.get(key, key)), value, target, gap, None if value is None else value >= target))
    return rows


def targets_sheet(scope: Scope) -> Sheet:
    columns = [
        Column("key", "Mã chỉ tiêu", "Key", TEXT, 22),
        Column("indicator", "Chỉ tiêu", "Indicator", TEXT, 52),
        Column("value", "Kết quả", "Value", PERCENT, 11),
        Column("target", "Mục tiêu", "Target", PERCENT, 11),
        Column("gap", "Còn thiếu", "Gap", PERCENT, 11),
        Column("met", "Đạt mục tiêu", "Met", TEXT, 12),
    ]
    return Sheet(
        "progress_targets", "4. Chỉ tiêu", "4. Targets", columns, partial(_target_rows, scope), lambda: 0, freeze_columns=2
    )


def _target_rows(scope: Scope):
    for key, name, value, target, gap, met in target_rows(scope):
        yes, no = _words(scope, "Đạt", "Met"), _words(scope, "Chưa đạt", "Not yet")
        yield (key, name, value, target, gap, None if met is None else (yes if met else no))


# ---------------------------------------------------------------- summary and the workbook


def summary_sheet(scope: Scope, period: Period) -> Sheet:
    columns = [
        Column("section", "Phần", "Section", TEXT, 16),
        Column("figure", "Nội dung", "Figure", TEXT, 52),
        Column("value", "Số liệu", "Value", DECIMAL, 14),
    ]
    return Sheet(
        "progress_summary", "Tổng hợp", "Summary", columns, partial(_summary_rows, scope, period), lambda: 0, freeze_columns=2
    )


def _summary_rows(scope: Scope, period: Period):
    w = partial(_words, scope)
    yield (w("Báo cáo", "Report"), w("Đơn vị", "Ward"), scope.ward_name)
    yield (w("Báo cáo", "Report"), w("Kỳ báo cáo", "Period"), period.label)
    survey = survey_totals(scope, period)
    section = w("1. Khảo sát", "1. Surveyed")
    yield (section, w("Hộ dự kiến", "Expected households"), _small(scope, survey["expected"]))
    yield (
        section,
        w("Hộ đã khảo sát (đến cuối kỳ)", "Households surveyed (to the period's end)"),
        _small(scope, survey["interviewed"]),
    )
    yield (section, w("Hộ khảo sát trong kỳ", "Households surveyed in the period"), _small(scope, survey["in_period"]))
    training = training_by_module(scope, period)
    section = w("2. Đào tạo", "2. Trained")
    for key, vi, en in (
        ("classes", "Lớp đã học trong kỳ", "Classes held in the period"),
        ("sessions", "Buổi học trong kỳ", "Sessions in the period"),
        ("came", "Lượt học viên tham dự trong kỳ", "Learners who came in the period"),
        ("completed", "Lượt học viên hoàn thành học phần (đến cuối kỳ)", "Modules completed by learners (to the period's end)"),
    ):
        yield (section, w(vi, en), _small(scope, sum(row[key] for row in training.values())))
    _rows, helped = support_by_kind(scope, period)
    section = w("3. Hỗ trợ", "3. Helped")
    yield (section, w("Lượt hỗ trợ", "Acts of help"), _small(scope, helped["events"]))
    yield (section, w("Người được hỗ trợ", "People helped"), _small(scope, helped["people"]))
    yield (section, w("Giờ hỗ trợ", "Hours of help"), helped["hours"])
    targets = target_rows(scope)
    section = w("4. Chỉ tiêu", "4. Targets")
    yield (section, w("Chỉ tiêu đã đạt", "Targets met"), sum(1 for row in targets if row[5]))
    yield (section, w("Chỉ tiêu chưa đạt", "Targets not met yet"), sum(1 for row in targets if row[5] is False))


def progress_sheets(scope: Scope, period: Period) -> list[Sheet]:
    return [
        summary_sheet(scope, period),
        survey_sheet(scope, period),
        training_sheet(scope, period),
        support_sheet(scope, period),
        targets_sheet(scope),
        effect_sheet(scope),
        trend_sheet(scope),
    ]


def checked_period(ward: Ward, starts_on, ends_on) -> Period:
    """The period asked for (dates or datetimes; None: the survey period's first day, else the year's, to
    today); ExportError naming what is wrong."""
    today = datetime.now(local_zone()).date()
    first = starts_on.date() if isinstance(starts_on, datetime) else starts_on
    last = ends_on.date() if isinstance(ends_on, datetime) else ends_on
    first = first or ward.survey_starts_on or date(today.year, 1, 1)
    last = last or today
    if last < first:
        raise ExportError(_l("The period ends before it starts: check the two dates."))
    if (last - first).days > MAX_PERIOD_DAYS:
        raise ExportError(_l("A report covers at most %(days)s days.", days=MAX_PERIOD_DAYS))
    return Period(first, last)


# ---------------------------------------------------------------- writing it (the command and the button)


def file_stem(scope: Scope, period: Period) -> str:
    return f"bao-cao-tien-do-{scope.ward_code}-{period.starts_on:%Y%m%d}-{period.ends_on:%Y%m%d}"


def write_report(actor, folder, *, starts_on=None, ends_on=None, lang: str = "vi", ward_id=None, ward_code=None):
    """Check who asks for which ward and period, write the report into `folder` (all of it, or nothing)
    and audit it: (path, rows per sheet). ExportError names what is refused."""
    scope = resolve_scope(actor, ward_id=ward_id, ward_code=ward_code, lang=lang)
    period = checked_period(db.session.get(Ward, scope.ward_id), starts_on, ends_on)
    folder.mkdir(parents=True, exist_ok=True)
    target = free_target(folder, file_stem(scope, period), ".xlsx")
    counts = write_export(scope, ExportFormat.XLSX, target, sheets=progress_sheets(scope, period))
    record(
        "export.progress_report",
        user=scope.actor,
        ward_id=scope.ward_id,
        object_type="ward",
        object_id=scope.ward_id,
        detail={
            "from": period.starts_on.isoformat(),
            "to": period.ends_on.isoformat(),
            "rows": counts,
            "lang": scope.lang,
            "figures_only": scope.figures_only,
        },
    )
    return target, counts


# ---------------------------------------------------------------- 5. what changed (the effectiveness page's tables)


def effect_sheet(scope: Scope) -> Sheet:
    columns = [
        Column("key", "Mã chỉ tiêu", "Key", TEXT, 20),
        Column("indicator", "Chỉ tiêu", "Indicator", TEXT, 44),
        Column("breakdown", "Phân tách", "Breakdown", TEXT, 18),
        Column("bucket", "Nhóm", "Group", TEXT, 18),
        Column("round", "Đợt khảo sát", "Round", TEXT, 26),
        Column("value", "Kết quả", "Value", PERCENT, 11),
        Column("change", "Thay đổi so với đợt trước", "Change from the round before", PERCENT, 14),
        Column("completed_before", "Đã hoàn thành học phần: trước", "Completed a module: before", PERCENT, 14),
        Column("completed_after", "Đã hoàn thành học phần: sau", "Completed a module: after", PERCENT, 14),
        Column("not_before", "Chưa hoàn thành: trước", "Did not: before", PERCENT, 14),
        Column("not_after", "Chưa hoàn thành: sau", "Did not: after", PERCENT, 14),
    ]
    return Sheet(
        "progress_effect", "5. Hiệu quả", "5. Effectiveness", columns, partial(_effect_rows, scope), lambda: 0, freeze_columns=2
    )


#: The breakdowns of the effectiveness sheet, as the page names them.
_BREAKDOWN_NAMES = {
    "total": ("Toàn phường", "Whole ward"),
    "age_group": ("Nhóm tuổi", "Age group"),
    "sex": ("Giới tính", "Sex"),
    "vulnerable": ("Nhóm yếu thế", "Vulnerable groups"),
    "group": ("Tổ dân phố", "Residential group"),
}


def _by_round(scope: Scope, by: str) -> list[tuple]:
    """rounds.by_round through the viewer's eyes, once per report and breakdown (the trend sheet reads the
    whole ward's too)."""
    ward = db.session.get(Ward, scope.ward_id)
    return _once(scope, f"progress.by_round.{by}", lambda: rounds.by_round(ward, scope.viewer, by))


def _effect_rows(scope: Scope):
    ward = db.session.get(Ward, scope.ward_id)
    names = indicator_labels()
    effect = rounds.trained_effect(ward, scope.viewer)
    for by in ("total", "age_group", "sex", "vulnerable", "group"):
        per_round = _by_round(scope, by)
        buckets = sorted({bucket for _round, found in per_round for bucket in found})
        breakdown = _words(scope, *_BREAKDOWN_NAMES[by])
        for key in rounds.COMPARED:
            for bucket in buckets:
                previous = None
                for position, (survey_round, found) in enumerate(per_round):
                    value = found[bucket][key].shown(scope.viewer) if bucket in found else None
                    change = None if value is None or previous is None else round(value - previous, 4)
                    sides = [None] * 4
                    if by == "total" and position == len(per_round) - 1 and effect is not None:
                        done, other = effect[2][key]["completed"], effect[2][key]["not"]
                        sides = [s.shown(scope.viewer) for s in (done.before, done.after, other.before, other.after)]
                    label = breakdown if by == "total" else bucket
                    yield (key, str(names.get(key, key)), breakdown, label, survey_round.name, value, change, *sides)
                    previous = value


# ---------------------------------------------------------------- 6. the trend (the dashboard's trend chart)


def trend_sheet(scope: Scope) -> Sheet:
    """One row per round (oldest first), one share column per compared indicator, as sheet 5 gives them
    for the whole ward; its line chart on a chart sheet of its own (from two rounds on)."""
    with force_locale("vi"):
        vi = indicator_labels()
    with force_locale("en"):
        en = indicator_labels()
    columns = [
        Column("round", "Đợt khảo sát", "Round", TEXT, 26),
        Column("starts_on", "Ngày bắt đầu", "Starts on", DATE, 12),
        *(Column(key, str(vi.get(key, key)), str(en.get(key, key)), PERCENT, 16) for key in rounds.COMPARED),
    ]
    chart = Chart(
        "Tỷ lệ người từ 15 tuổi đạt từng chỉ tiêu qua các đợt khảo sát",
        "Share of adults (15 or over) per indicator and survey round",
        category="round",
        values=rounds.COMPARED,
        sheet_vi="Biểu đồ xu hướng",
        sheet_en="Trend chart",
        kind=LINE,
        min_rows=2,
    )
    return Sheet("progress_trend", "6. Xu hướng", "6. Trend", columns, partial(_trend_rows, scope), lambda: 0, chart=chart)


def _trend_rows(scope: Scope):
    for survey_round, found in _by_round(scope, "total"):
        total = found.get("total")
        values = (total[key].shown(scope.viewer) if total else None for key in rounds.COMPARED)
        yield (survey_round.name, survey_round.starts_on, *values)
