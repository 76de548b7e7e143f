"""The aggregated sheets: summary of indicators with the ward's plan targets, coverage by group (with its
chart), survey teams and members' progress, and the training plan.

Coverage, team and member figures and the indicators reuse the dashboard's queries
(survey_app/dashboard/queries.py, indicators.py), so the workbook and the dashboard agree.

For city roles (`Scope.figures_only`) the counts go through disclosure.protect first: the
groups, the totals and the teams are protected together, since each is a sum of the others.
"""

from __future__ import annotations

from functools import partial

import sqlalchemy as sa
from flask_babel import force_locale

from survey_app.dashboard import queries as dashboard
from survey_app.dashboard.indicators import INDICATORS, aggregate
from survey_app.dashboard.labels import indicator_labels, section_labels
from survey_app.dashboard.models import PersonIndicator
from survey_app.disclosure import is_small as small
from survey_app.disclosure import protect
from survey_app.exports import labels, queries
from survey_app.exports.spec import DECIMAL, INT, PERCENT, TEXT, Chart, Column, Scope, Sheet, id_column, ref_column
from survey_app.exports.suppression import HIDDEN, shown
from survey_app.extensions import db
from survey_app.planning.scoring import RuleError, load_rules
from survey_app.support.models import SupportEvent
from survey_app.wards import targets as plan_targets
from survey_app.wards.models import Ward

USER, PERSON = "U", "P"
STATUS_COLUMNS = ("revisit", "not_visited", "refused", "moved", "not_found")


def _coverage_rows(scope: Scope) -> list[dict]:
    """The dashboard's per-group coverage, limited to the chosen groups."""
    chosen = set(scope.group_ids)
    return [row for row in dashboard.group_coverage(scope.viewer, scope.ward_id) if row["id"] in chosen]


#: Counts of households or people in the coverage rows, the totals and the team rows.
COUNTS = ("expected", "listed", "visited", "done", *STATUS_COLUMNS, "people", "remaining")
TEAM_COUNTS = ("members", "expected", "visited", "done", "remaining")


def _teams(scope: Scope, groups: list[dict]) -> list[dict]:
    found = dashboard.team_coverage(scope.viewer, scope.ward_id, groups)
    return [t for t in found if t["group_codes"] or scope.all_groups]


def _lines_of(key, row: dict) -> list[list]:
    """The sums a row shows: its statuses make its listed households; visited and not visited too;
    remaining is the larger of expected and listed less the closed statuses."""
    cell = lambda name: (key, name)  # noqa: E731
    return [
        [cell(n) for n in ("done", *STATUS_COLUMNS, "listed")],
        [cell("visited"), cell("not_visited"), cell("listed")],
        [cell(n) for n in ("remaining", "expected", "listed", "done", "refused", "moved", "not_found")],
    ]


def coverage_figures(scope: Scope) -> dict:
    """Groups, totals and teams of the scope, with the set of cells to hide for city roles (once per export).

    Cells are ((kind, id), key): kind "g" a group, "t" the totals, "team" a team, "i" an indicator.
    """
    if "figures" in scope.cache:
        return scope.cache["figures"]
    groups = _coverage_rows(scope)
    total = dashboard.totals(groups)
    teams = _teams(scope, groups)
    hidden: set = set()
    if scope.figures_only:
        cells, lines = {}, []
        for key, row in [(("g", g["id"]), g) for g in groups] + [(("t", 0), total)]:
            cells.update({(key, name): row[name] for name in COUNTS})
            lines += _lines_of(key, row)
        lines += [[(("g", g["id"]), name) for g in groups] + [(("t", 0), name)] for name in COUNTS]
        for team in teams:
            cells.update({(("team", team["id"]), name): team[name] for name in TEAM_COUNTS})
            own = [g["id"] for g in groups if g["team_id"] == team["id"]]
            lines += [
                [(("team", team["id"]), name)] + [(("g", gid), name) for gid in own] for name in TEAM_COUNTS if name != "members"
            ]
        hidden = protect(cells, lines)
    scope.cache["figures"] = found = {"groups": groups, "total": total, "teams": teams, "hidden": hidden}
    return found


def _count(found: dict, key, name: str, value):
    return shown(value, (key, name) in found["hidden"])


def _share(found: dict, key, value, *names: str):
    """A share, left empty when a count it is computed from is hidden."""
    return None if any((key, name) in found["hidden"] for name in names) else value


# ---------------------------------------------------------------- summary


def summary_sheet(scope: Scope) -> Sheet:
    columns = [
        Column("section", "Nhóm chỉ tiêu", "Section", TEXT, 26),
        Column("indicator", "Chỉ tiêu", "Indicator", TEXT, 52),
        Column("key", "Mã chỉ tiêu", "Key", TEXT, 20),
        Column("value", "Số lượng", "Count", INT, 11),
        Column("of", "Trên tổng số", "Out of", INT, 11),
        Column("share", "Tỷ lệ", "Share", PERCENT, 9),
        Column("target", "Mục tiêu kế hoạch", "Plan target", PERCENT, 11),
    ]
    return Sheet("summary", "Tổng hợp", "Summary", columns, partial(_summary_rows, scope), lambda: 0, freeze_columns=2)


def _summary_rows(scope: Scope):
    vi = scope.lang != "en"
    found = coverage_figures(scope)
    total, totals_key = found["total"], ("t", 0)
    coverage = "Tiến độ khảo sát" if vi else "Survey coverage"
    figures = [
        ("expected", "Hộ dự kiến (theo sổ của phường)", "Expected households (ward registers)", None, None),
        ("listed", "Hộ trong danh sách", "Households listed", None, None),
        ("visited", "Hộ đã đến", "Households visited", "expected", None),
        ("done", "Hộ đã khảo sát", "Households surveyed", "expected", 1.0),
        *((key, *labels.HOUSEHOLD_STATUS[key], None, None) for key in STATUS_COLUMNS),
        ("people", "Người đã được khảo sát", "People surveyed", None, None),
    ]
    for key, label_vi, label_en, of_key, target in figures:
        of = total[of_key] if of_key else None
        share = min(total[key] / of, 1.0) if of else None
        share = _share(found, totals_key, share, key, *((of_key,) if of_key else ()))
        yield (
            coverage,
            label_vi if vi else label_en,
            f"coverage.{key}",
            _count(found, totals_key, key, total[key]),
            None if of_key is None else _count(found, totals_key, of_key, of),
            share,
            target,
        )
    events, minutes = db.session.execute(
        sa.select(sa.func.count(), sa.func.coalesce(sa.func.sum(SupportEvent.minutes), 0)).where(
            *queries.scoped(SupportEvent, scope, SupportEvent.residential_group_id)
        )
    ).one()
    support = "Bình dân học vụ số" if vi else "Bình dân học vụ số (support)"
    yield (
        support,
        "Lượt hỗ trợ người dân" if vi else "Support events",
        "support.events",
        _small(scope, events),
        None,
        None,
        None,
    )
    yield (support, "Số phút hỗ trợ" if vi else "Minutes of help", "support.minutes", int(minutes), None, None, None)
    yield from _indicator_rows(scope, found)


def _small(scope: Scope, value):
    """A count with no sum shown beside it: hidden for city roles when under the threshold."""
    return shown(value, scope.figures_only and small(value))


def _indicator_rows(scope: Scope, found: dict):
    """Every dashboard indicator over the adults of the chosen groups, with the ward's plan targets."""
    where = queries.scoped(PersonIndicator, scope, PersonIndicator.residential_group_id)
    bucket = aggregate(where, "total")[0][1]
    targets = plan_targets.for_ward(db.session.get(Ward, scope.ward_id))
    with force_locale(scope.lang):
        names, sections = indicator_labels(), section_labels()
    vi = scope.lang != "en"
    adults = "Người từ 15 tuổi được khảo sát" if vi else "Adults (15+) surveyed"
    proxy = "Trong đó: người khác trả lời thay" if vi else "Of whom answered by someone else (proxy)"
    # The adults are the people surveyed of the totals: hidden with them.
    hide_adults = scope.figures_only and (small(bucket["adults"]) or (("t", 0), "people") in found["hidden"])
    count = partial(_small, scope)
    adults_cell = shown(bucket["adults"], hide_adults)
    yield sections["levels"], adults, "adults", adults_cell, None, None, None
    share = bucket["proxy"] / bucket["adults"] if bucket["adults"] else None
    proxy_cell = count(bucket["proxy"])
    yield (
        sections["levels"],
        proxy,
        "proxy",
        proxy_cell,
        adults_cell,
        None if HIDDEN in (proxy_cell, adults_cell) else share,
        None,
    )
    for indicator in INDICATORS:
        figures_ = bucket["indicators"][indicator.key]
        n, of = count(figures_["n"]), count(figures_["of"])
        yield (
            sections.get(indicator.section, indicator.section),
            names.get(indicator.key, indicator.key),
            indicator.key,
            n,
            of,
            None if HIDDEN in (n, of) else figures_["share"],
            targets.get(indicator.key),
        )
    yield (
        "Ghi chú" if vi else "Note",
        "Kỹ năng số là các việc người dân tự khai đã làm trong 3 tháng qua, không phải bài kiểm tra."
        if vi
        else "Digital skills are activities people say they did in the last 3 months, not a test.",
        "note.self_reported",
        None,
        None,
        None,
        None,
    )


# ---------------------------------------------------------------- coverage by group


def coverage_sheet(scope: Scope) -> Sheet:
    status = {key: pair for key, pair in labels.HOUSEHOLD_STATUS.items()}
    columns = [
        Column("group", "Tổ dân phố", "Residential group", TEXT, 10),
        Column("group_name", "Tên tổ dân phố", "Group name", TEXT, 24),
        id_column("team", "Tổ khảo sát", "Survey team", 8),
        Column("expected", "Hộ dự kiến", "Expected households", INT, 10),
        Column("listed", "Hộ trong danh sách", "Households listed", INT, 10),
        Column("visited", "Hộ đã đến", "Households visited", INT, 10),
        Column("done", "Hộ đã khảo sát", "Households surveyed", INT, 10),
        *(Column(key, *status[key], INT, 10) for key in STATUS_COLUMNS),
        Column("people", "Người đã khảo sát", "People surveyed", INT, 10),
        Column("remaining", "Hộ còn lại", "Households remaining", INT, 10),
        Column("share", "Tỷ lệ hộ đã khảo sát", "Share surveyed", PERCENT, 10),
    ]
    keys = [c.key for c in columns]

    def rows():
        found = coverage_figures(scope)
        for row in found["groups"]:
            key = ("g", row["id"])
            values = {**row, "group": row["code"], "group_name": row["name"], "team": row["team_number"]}
            values.update({name: _count(found, key, name, row[name]) for name in COUNTS})
            values["share"] = _share(found, key, row["share"], "done", "expected")
            yield tuple(values[key] for key in keys)

    chart = Chart(
        "Tỷ lệ hộ đã khảo sát theo tổ dân phố",
        "Share of households surveyed by residential group",
        category="group",
        values=("share",),
        sheet_vi="Biểu đồ độ bao phủ",
        sheet_en="Coverage chart",
    )
    return Sheet("coverage", "Theo tổ dân phố", "Coverage by group", columns, rows, lambda: len(scope.group_ids), chart=chart)


# ---------------------------------------------------------------- teams and members


def team_sheets(scope: Scope) -> list[Sheet]:
    """Survey teams (figures over the chosen groups they cover) and each member's progress."""

    def teams():
        return coverage_figures(scope)["teams"]

    team_columns = [
        id_column("team", "Tổ khảo sát", "Survey team", 8),
        Column("team_name", "Tên tổ", "Team name", TEXT, 22),
        Column("members", "Số thành viên", "Members", INT, 9),
        Column("groups", "Tổ dân phố phụ trách", "Residential groups covered", TEXT, 24),
        Column("expected", "Hộ dự kiến", "Expected households", INT, 10),
        Column("visited", "Hộ đã đến", "Households visited", INT, 10),
        Column("done", "Hộ đã khảo sát", "Households surveyed", INT, 10),
        Column("remaining", "Hộ còn lại", "Households remaining", INT, 10),
        Column("share", "Tỷ lệ hộ đã khảo sát", "Share surveyed", PERCENT, 10),
    ]

    def team_rows():
        found = coverage_figures(scope)
        for t in found["teams"]:
            key = ("team", t["id"])

            def count(name, key=key, t=t):
                return _count(found, key, name, t[name])

            yield (
                t["number"],
                t["name"],
                count("members"),
                ", ".join(t["group_codes"]),
                count("expected"),
                count("visited"),
                count("done"),
                count("remaining"),
                _share(found, key, t["share"], "done", "expected"),
            )

    member_columns = [
        id_column("team", "Tổ khảo sát", "Survey team", 8),
        ref_column(scope, "member_id", "Mã thành viên", "Member id"),
    ]
    if scope.personal:
        member_columns += [
            Column("member", "Họ tên", "Full name", TEXT, 24),
            Column("phone", "Số điện thoại", "Phone number", TEXT, 13),
        ]
    member_columns += [
        Column("role", "Vai trò", "Role", TEXT, 14, choices=labels.describe(labels.ROLE)),
        Column("visits", "Lượt đến hộ", "Visits", INT, 9),
        Column("interviewed", "Hộ đã phỏng vấn", "Households interviewed", INT, 10),
        *(Column(key, *labels.VISIT_OUTCOME[key], INT, 10) for key in ("nobody_home", "refused", "moved", "not_found")),
        Column("people", "Người đã khảo sát", "People surveyed", INT, 10),
        Column("support_events", "Lượt hỗ trợ", "Support events", INT, 9),
    ]

    def member_rows():
        kept = {t["number"] for t in teams()}
        ref, role = scope.ref(USER), labels.picker(labels.ROLE, scope.lang)
        phones = queries.user_phones(scope) if scope.personal else {}
        helped = queries.support_counts(scope)
        for m in dashboard.member_coverage(scope.viewer, scope.ward_id):
            if m["team_number"] not in kept:
                continue
            row = (m["team_number"], ref(m["id"]))
            if scope.personal:
                row += (m["name"], phones.get(m["id"]))
            yield (
                *row,
                role(m["role"]),
                m["visits"],
                m["interviewed"],
                m["nobody_home"],
                m["refused"],
                m["moved"],
                m["not_found"],
                m["people"],
                helped.get(m["id"], 0),
            )

    team_sheet = Sheet("teams", "Tổ khảo sát", "Survey teams", team_columns, team_rows, lambda: len(teams()))
    if scope.figures_only:  # a row per member is about people: city roles get the teams' figures only
        return [team_sheet]
    return [
        team_sheet,
        Sheet(
            "members",
            "Thành viên tổ",
            "Team members",
            member_columns,
            member_rows,
            lambda: queries.member_count(scope),
            freeze_columns=2,
        ),
    ]


# ---------------------------------------------------------------- training plan


def _module_titles(lang: str) -> dict[str, str]:
    try:
        rules = load_rules()
    except RuleError:
        return {}
    return {m.code: m.title.get(lang) or m.title.get("vi") or m.code for m in rules.modules}


def _gap_words(lang: str) -> dict[tuple[str, str], str]:
    """(module, gap clause id) -> the clause's words, for the learners' reasons."""
    try:
        rules = load_rules()
    except RuleError:
        return {}
    return {(m.code, c.id): c.label.get(lang) or c.label.get("vi") or c.id for m in rules.modules for c in m.gap}


def plan_sheets(scope: Scope) -> list[Sheet]:
    """The ward's training plan: its classes and their learners (empty sheets when there is no plan)."""
    plan = queries.plan(scope)
    plan_id = plan.id if plan is not None else -1
    personal = scope.personal
    yes_no, slot = labels.picker(labels.YES_NO, scope.lang), labels.picker(labels.TIME_SLOT, scope.lang)
    class_columns = [
        id_column("class_id", "Mã lớp", "Class id", 8),
        id_column("week", "Tuần", "Week", 6),
        Column("module", "Mô-đun", "Module", TEXT, 8),
        Column("module_title", "Nội dung", "Title", TEXT, 36),
        Column("venue_group", "Tổ dân phố (địa điểm)", "Venue group", TEXT, 10),
        Column("venue", "Địa điểm", "Venue", TEXT, 30),
        Column("time_slot", "Thời gian", "Time", TEXT, 16, choices=labels.describe(labels.TIME_SLOT)),
        Column("level_band", "Mức kỹ năng", "Levels", TEXT, 8),
        Column("trainer", "Người hướng dẫn", "Trainer", TEXT, 24),
        Column("locked", "Đã chốt", "Locked", TEXT, 8),
        Column("learners", "Số học viên", "Learners", INT, 9),
    ]
    if scope.figures_only:  # who teaches is about a person: city roles get the classes and their sizes
        class_columns = [c for c in class_columns if c.key != "trainer"]
    classes = queries.plan_classes(scope, plan_id)

    def class_rows():
        titles, codes = _module_titles(scope.lang), queries.group_codes(scope)
        user_ref, person_ref = scope.ref(USER), scope.ref(PERSON)
        for (
            cid,
            week,
            module,
            venue_group,
            venue,
            time_slot,
            band,
            trainer_user,
            _sid,
            _line,
            trainer_name,
            locked,
            size,
            trainer_person,
        ) in queries.stream(classes):
            if personal:
                trainer = trainer_name
            else:
                trainer = user_ref(trainer_user) if trainer_user is not None else person_ref(trainer_person)
            if scope.figures_only:
                yield (
                    cid,
                    week,
                    module.upper(),
                    titles.get(module, module),
                    codes.get(venue_group),
                    venue,
                    slot(time_slot),
                    band,
                    yes_no(locked),
                    _small(scope, size),
                )
                continue
            yield (
                cid,
                week,
                module.upper(),
                titles.get(module, module),
                codes.get(venue_group),
                venue,
                slot(time_slot),
                band,
                trainer,
                yes_no(locked),
                size,
            )

    learner_columns = [
        id_column("class_id", "Mã lớp", "Class id", 8),
        id_column("week", "Tuần", "Week", 6),
        Column("module", "Mô-đun", "Module", TEXT, 8),
        Column("time_slot", "Thời gian", "Time", TEXT, 16),
        Column("group", "Tổ dân phố", "Residential group", TEXT, 10),
        ref_column(scope, "person_id", "Mã nhân khẩu", "Person id"),
    ]
    if personal:
        learner_columns.append(Column("full_name", "Họ tên", "Full name", TEXT, 24))
    learner_columns += [
        Column("level", "Mức kỹ năng số", "Digital skill level", TEXT, 9),
        Column("asked", "Đăng ký học", "Asked for it", TEXT, 9),
        Column("priority", "Mức ưu tiên", "Priority", DECIMAL, 9),
        Column("reasons", "Lý do", "Reasons", TEXT, 30),
    ]
    learners = queries.plan_learners(scope, plan_id)

    def learner_rows():
        codes, person_ref, words = queries.group_codes(scope), scope.ref(PERSON), _gap_words(scope.lang)
        for (
            cid,
            module,
            group_id,
            person_id,
            _sid,
            _line,
            name,
            level,
            asked,
            priority,
            reasons,
            week,
            time_slot,
        ) in queries.stream(learners):
            row = (cid, week, module.upper(), slot(time_slot), codes.get(group_id), person_ref(person_id))
            if personal:
                row += (name,)
            if isinstance(reasons, str):  # the gap clauses that put them there ("a,b"), in words
                reasons = "; ".join(words.get((module, r), r) for r in reasons.split(",") if r)
            yield (*row, level, yes_no(asked), priority, reasons or None)

    class_sheet = Sheet("classes", "Lớp học", "Classes", class_columns, class_rows, partial(queries.count, classes))
    if scope.figures_only:  # a row per learner is about people
        return [class_sheet]
    return [
        class_sheet,
        Sheet(
            "learners", "Học viên", "Learners", learner_columns, learner_rows, partial(queries.count, learners), freeze_columns=2
        ),
    ]
