"""The sheets of an export: headers and row iterators for each table, for one scope.

`build_sheets(scope)` gives them in workbook order. Personal columns (names, addresses, phone
numbers, GPS points, free text) are only there when the scope is personal (ward admins and the
CLI); everyone else gets pseudonymous ids (spec.make_pseudonym) in place of row ids.
"""

from __future__ import annotations

import json
from dataclasses import replace
from functools import partial

from survey_app.accounts.models import Role, User
from survey_app.clock import local_zone
from survey_app.exports import labels, queries, reports
from survey_app.exports.answers import MEMBERS, AnswerLayout, load_layout
from survey_app.exports.privacy import AGE_BANDS, age_band
from survey_app.exports.repeats import KEY, entry_key, keys_members, repeat_sheet
from survey_app.exports.spec import DATETIME, DECIMAL, INT, TEXT, Column, Scope, Sheet, id_column, ref_column
from survey_app.exports.suppression import HIDDEN

#: Kinds of pseudonymous ids: households, persons, users (staff, volunteers), visits, support events.
HOUSEHOLD, PERSON, USER = "H", "P", "U"


class _Local:
    """UTC timestamps -> naive local date-times for the workbook (the ward's calendar)."""

    def __init__(self):
        self.zone = local_zone()

    def __call__(self, value):
        return None if value is None else value.astimezone(self.zone).replace(tzinfo=None)


# ---------------------------------------------------------------- households


def households_sheet(scope: Scope, layout: AnswerLayout) -> Sheet:
    personal = scope.personal
    columns = [
        ref_column(scope, "household_id", "Mã hộ", "Household id"),
        Column("group", "Tổ dân phố", "Residential group", TEXT, 10),
    ]
    if personal:
        columns += [
            Column("address", "Địa chỉ", "Address", TEXT, 36),
            Column("head_name", "Chủ hộ", "Head of household", TEXT, 24),
        ]
    columns += [
        Column("status", "Trạng thái", "Status", TEXT, 14, labels.describe(labels.HOUSEHOLD_STATUS)),
        Column("visits", "Số lần đến", "Visits", INT, 8),
        Column("last_visit", "Lần đến gần nhất", "Last visit", DATETIME, 16),
        id_column("submission_id", "Mã phiếu", "Submission id", 10),
        Column("form_version", "Phiên bản biểu mẫu", "Form version", TEXT, 10),
        Column("channel", "Hình thức", "Channel", TEXT, 12, labels.describe(labels.CHANNEL)),
        Column("review_status", "Kiểm tra phiếu", "Review status", TEXT, 14, labels.describe(labels.REVIEW_STATUS)),
        Column("received_at", "Thời điểm nhận phiếu", "Received at", DATETIME, 16),
        *layout.columns(),
    ]
    statement = queries.households(scope)

    def rows():
        ref, codes, local = scope.ref(HOUSEHOLD), queries.group_codes(scope), _Local()
        status, channel = labels.picker(labels.HOUSEHOLD_STATUS, scope.lang), labels.picker(labels.CHANNEL, scope.lang)
        review, values = labels.picker(labels.REVIEW_STATUS, scope.lang), layout.values
        for hid, group_id, address, head, state, visits, last, sid, version, chan, reviewed, received, answers in queries.stream(
            statement, queries.YIELD_PER_ANSWERS
        ):
            head_part = (ref(hid), codes.get(group_id))
            if personal:
                head_part += (address, head)
            yield (
                *head_part,
                status(state),
                visits,
                local(last),
                sid,
                version,
                channel(chan),
                review(reviewed),
                local(received),
                *values(answers),
            )

    return Sheet("households", "Hộ gia đình", "Households", columns, rows, partial(queries.count, statement), freeze_columns=2)


# ---------------------------------------------------------------- persons


def persons_sheet(scope: Scope, layout: AnswerLayout, keyed: bool = False) -> Sheet:
    """`keyed`: a KEY column at the end, for the sheets of repeats nested in the members (repeats.py)."""
    personal = scope.personal
    columns = [
        ref_column(scope, "person_id", "Mã nhân khẩu", "Person id"),
        ref_column(scope, "household_id", "Mã hộ", "Household id"),
        Column("group", "Tổ dân phố", "Residential group", TEXT, 10),
        id_column("line_no", "Thứ tự trong hộ", "Line in household", 8),
    ]
    if personal:
        columns.append(Column("full_name", "Họ tên", "Full name", TEXT, 24))
    # An exact age is for ward admins; everyone else gets the band of the age reached in the survey year.
    columns.append(
        id_column("birth_year", "Năm sinh", "Birth year", 9)
        if personal
        else Column("age_band", "Nhóm tuổi", "Age band", TEXT, 9, "; ".join(b for *_, b in AGE_BANDS))
    )
    columns += [
        Column("sex", "Giới tính", "Sex", TEXT, 9, labels.describe(labels.SEX)),
        id_column("submission_id", "Mã phiếu", "Submission id", 10),
        Column("level", "Mức kỹ năng số", "Digital skill level", TEXT, 10),
        *layout.columns(),
    ]
    if keyed:
        columns.append(Column(KEY, "KEY", "KEY", TEXT, 24))
    statement = queries.persons(scope)

    def rows():
        person_ref, household_ref, codes = scope.ref(PERSON), scope.ref(HOUSEHOLD), queries.group_codes(scope)
        sex_label, values, parsed = labels.picker(labels.SEX, scope.lang), layout.values, _Parsed()
        for pid, hid, group_id, line_no, name, birth_year, sex, sid, _version, index, level, answers in queries.stream(
            statement, queries.YIELD_PER_ANSWERS
        ):
            head = (person_ref(pid), household_ref(hid), codes.get(group_id), line_no)
            if personal:
                head += (name,)
            household = parsed(sid, answers)
            member = _member(household, index)
            if not personal:
                if birth_year is None and member is not None:
                    birth_year = member.get("b1_birth_year")
                birth_year = age_band(birth_year, _survey_year(household, scope.survey_year))
            row = (*head, birth_year, sex_label(sex), sid, None if level is None else f"L{level}", *values(member))
            yield (*row, entry_key(sid, ((MEMBERS, index),)) if sid is not None and index is not None else None) if keyed else row

    return Sheet("persons", "Nhân khẩu", "Persons", columns, rows, partial(queries.count, statement), freeze_columns=2)


class _Parsed:
    """The last submission's answers, parsed once for all the members of its household."""

    def __init__(self):
        self.key, self.value = None, None

    def __call__(self, key, raw):
        if not isinstance(raw, (str, bytes)):
            return raw  # the driver parsed it already (PostgreSQL)
        if key != self.key:
            self.key, self.value = key, json.loads(raw)
        return self.value


def _survey_year(answers, default: int | None) -> int | None:
    """The year the household was surveyed in: the form's survey_year calculate, else the scope's."""
    year = answers.get("survey_year") if isinstance(answers, dict) else None
    if isinstance(year, str) and year.isdigit():
        year = int(year)
    return year if isinstance(year, int) and not isinstance(year, bool) else default


def _member(answers, index):
    """The member's own answers inside the household's answer set, or None."""
    if not isinstance(answers, dict) or index is None:
        return None
    members = answers.get("members")
    if isinstance(members, list) and 0 <= index < len(members) and isinstance(members[index], dict):
        return members[index]
    return None


# ---------------------------------------------------------------- visits


def visits_sheet(scope: Scope) -> Sheet:
    personal = scope.personal
    columns = [
        id_column("visit_id", "Mã lượt", "Visit id", 10),
        ref_column(scope, "household_id", "Mã hộ", "Household id"),
        Column("group", "Tổ dân phố", "Residential group", TEXT, 10),
        id_column("team", "Tổ khảo sát", "Survey team", 8),
        ref_column(scope, "surveyor_id", "Mã khảo sát viên", "Surveyor id"),
    ]
    if personal:
        columns.append(Column("surveyor", "Khảo sát viên", "Surveyor", TEXT, 22))
    columns += [
        Column("outcome", "Kết quả", "Outcome", TEXT, 18, labels.describe(labels.VISIT_OUTCOME)),
        Column("visited_at", "Thời điểm", "Visited at", DATETIME, 16),
    ]
    if personal:
        columns += [
            Column("latitude", "Vĩ độ", "Latitude", DECIMAL, 11),
            Column("longitude", "Kinh độ", "Longitude", DECIMAL, 11),
            Column("accuracy_m", "Sai số GPS (m)", "GPS accuracy (m)", DECIMAL, 9),
        ]
    columns.append(id_column("submission_id", "Mã phiếu", "Submission id", 10))
    statement = queries.visits(scope)

    def rows():
        household_ref, user_ref, codes = scope.ref(HOUSEHOLD), scope.ref(USER), queries.group_codes(scope)
        teams, names = queries.team_numbers(scope), queries.user_names(scope) if personal else {}
        outcome_label, local = labels.picker(labels.VISIT_OUTCOME, scope.lang), _Local()
        for vid, hid, group_id, team_id, surveyor_id, outcome, at, lat, lon, accuracy, sid in queries.stream(statement):
            row = (vid, household_ref(hid), codes.get(group_id), teams.get(team_id), user_ref(surveyor_id))
            if personal:
                row += (names.get(surveyor_id),)
            row += (outcome_label(outcome), local(at))
            if personal:
                row += (lat, lon, accuracy)
            yield (*row, sid)

    return Sheet("visits", "Lượt khảo sát", "Visits", columns, rows, partial(queries.count, statement))


# ---------------------------------------------------------------- corrections


def versions_sheet(scope: Scope) -> Sheet:
    """The history of corrected submissions: one row per version, with the questions it changed (the
    other sheets hold each submission's latest version)."""
    personal = scope.personal
    columns = [
        id_column("submission_id", "Mã phiếu", "Submission id", 10),
        ref_column(scope, "household_id", "Mã hộ", "Household id"),
        Column("group", "Tổ dân phố", "Residential group", TEXT, 10),
        id_column("version", "Phiên bản", "Version", 8),
        Column("source", "Nguồn", "Source", TEXT, 18, labels.describe(labels.VERSION_SOURCE)),
        Column("created_at", "Thời điểm", "At", DATETIME, 16),
        ref_column(scope, "author_id", "Mã người sửa", "Author id"),
    ]
    if personal:
        columns += [Column("author", "Người sửa", "Author", TEXT, 22), Column("reason", "Lý do", "Reason", TEXT, 30)]
    columns.append(Column("changed", "Câu hỏi thay đổi", "Questions changed", TEXT, 40))
    statement = queries.versions(scope)

    def rows():
        household_ref, user_ref, codes = scope.ref(HOUSEHOLD), scope.ref(USER), queries.group_codes(scope)
        names, source, local = (
            queries.user_names(scope) if personal else {},
            labels.picker(labels.VERSION_SOURCE, scope.lang),
            _Local(),
        )
        previous = (None, None)
        for sid, hid, group_id, number, origin, at, author_id, reason, answers in queries.stream(statement):
            before = previous[1] if previous[0] == sid else None
            row = (sid, household_ref(hid), codes.get(group_id), number, source(origin), local(at), user_ref(author_id))
            if personal:
                row += (names.get(author_id), reason)
            yield (*row, "; ".join(changed_answers(before, answers)) if before is not None else None)
            previous = (sid, answers)

    return Sheet("versions", "Lịch sử sửa phiếu", "Corrections", columns, rows, partial(queries.count, statement))


def changed_answers(before, after, prefix: str = "") -> list[str]:
    """The answers that differ between two versions, by name ("members[2].b1_birth_year" for an entry)."""
    before, after = before if isinstance(before, dict) else {}, after if isinstance(after, dict) else {}
    found = []
    for name in sorted({*after, *before}):  # by name: JSONB keeps no order
        old, new = before.get(name), after.get(name)
        if old == new or name.startswith("#"):
            continue
        if _entries(old) and _entries(new) or _entries(old) and new is None or old is None and _entries(new):
            old, new = old or [], new or []
            for index in range(max(len(old), len(new))):
                found += changed_answers(
                    old[index] if index < len(old) else {},
                    new[index] if index < len(new) else {},
                    f"{prefix}{name}[{index + 1}].",
                )
        else:
            found.append(f"{prefix}{name}")
    return found


def _entries(value) -> bool:
    return isinstance(value, list) and bool(value) and all(isinstance(v, dict) for v in value)


# ---------------------------------------------------------------- support events


def support_sheet(scope: Scope) -> Sheet:
    personal = scope.personal
    columns = [
        id_column("event_id", "Mã lượt hỗ trợ", "Support event id", 10),
        Column("occurred_at", "Thời điểm", "Occurred at", DATETIME, 16),
        Column("group", "Tổ dân phố", "Residential group", TEXT, 10),
        id_column("team", "Tổ khảo sát", "Survey team", 8),
        ref_column(scope, "volunteer_id", "Mã tình nguyện viên", "Volunteer id"),
    ]
    if personal:
        columns.append(Column("volunteer", "Tình nguyện viên", "Volunteer", TEXT, 22))
    columns += [
        ref_column(scope, "household_id", "Mã hộ", "Household id"),
        ref_column(scope, "person_id", "Mã nhân khẩu", "Person id"),
        Column("anon_age_group", "Nhóm tuổi (ẩn danh)", "Age group (anonymous)", TEXT, 10),
        Column("anon_sex", "Giới tính (ẩn danh)", "Sex (anonymous)", TEXT, 10),
        Column("types", "Nội dung hỗ trợ", "Kinds of help", TEXT, 36),
        Column("place", "Địa điểm", "Place", TEXT, 16, labels.describe(labels.SUPPORT_PLACE)),
        Column("outcome", "Kết quả", "Outcome", TEXT, 14, labels.describe(labels.SUPPORT_OUTCOME)),
        Column("minutes", "Số phút", "Minutes", INT, 8),
        id_column("follow_up_of", "Tiếp theo lượt", "Follow-up of", 10),
    ]
    if personal:
        columns.append(Column("other_text", "Ghi chú", "Note", TEXT, 30))
    statement = queries.support_events(scope)

    def rows():
        user_ref, household_ref, person_ref = scope.ref(USER), scope.ref(HOUSEHOLD), scope.ref(PERSON)
        codes, teams = queries.group_codes(scope), queries.team_numbers(scope)
        names = queries.user_names(scope) if personal else {}
        kinds, position = queries.support_types(scope), 2 if scope.lang == "en" else 1
        place = labels.picker(labels.SUPPORT_PLACE, scope.lang)
        outcome = labels.picker(labels.SUPPORT_OUTCOME, scope.lang)
        sex, local = labels.picker(labels.SEX, scope.lang), _Local()
        for batch in queries.stream_batches(statement):
            types = queries.event_types([row[0] for row in batch])  # the kinds of help of a whole batch
            for (
                eid,
                at,
                group_id,
                team_id,
                volunteer_id,
                hid,
                pid,
                age_group,
                anon_sex,
                where,
                result,
                minutes,
                follow_up,
                other,
            ) in batch:
                row = (eid, local(at), codes.get(group_id), teams.get(team_id), user_ref(volunteer_id))
                if personal:
                    row += (names.get(volunteer_id),)
                row += (
                    household_ref(hid),
                    person_ref(pid),
                    age_group,
                    sex(anon_sex),
                    "; ".join(kinds[t][position] for t in types.get(eid, ()) if t in kinds),
                    place(where),
                    outcome(result),
                    minutes,
                    follow_up,
                )
                yield (*row, other) if personal else row

    return Sheet("support_events", "Hỗ trợ người dân", "Support events", columns, rows, partial(queries.count, statement))


# ---------------------------------------------------------------- the whole export


def build_sheets(scope: Scope) -> list[Sheet]:
    """Every sheet of a ward export, in workbook order; the data dictionary describes the others.

    City roles get figures, not people: the summary, coverage, teams and classes, with small counts
    suppressed (reports.py), and no sheet with a row per household, person, visit or member.
    """
    if scope.figures_only:
        sheets = [
            _counting_hidden(scope, sheet)
            for sheet in (
                reports.summary_sheet(scope),
                reports.coverage_sheet(scope),
                *reports.team_sheets(scope),
                *reports.plan_sheets(scope),
            )
        ]
        sheets.append(dictionary_sheet(scope, sheets))
        return sheets
    household_layout, member_layout, repeats = load_layout(scope)
    sheets = [
        reports.summary_sheet(scope),
        reports.coverage_sheet(scope),
        *reports.team_sheets(scope),
        households_sheet(scope, household_layout),
        persons_sheet(scope, member_layout, keys_members(repeats)),
        *(repeat_sheet(scope, repeat, HOUSEHOLD) for repeat in repeats),
        visits_sheet(scope),
        versions_sheet(scope),
        support_sheet(scope),
        *reports.plan_sheets(scope),
    ]
    sheets.append(dictionary_sheet(scope, sheets))
    return sheets


def _counting_hidden(scope: Scope, sheet: Sheet) -> Sheet:
    """The sheet, its rows counting the suppressed cells they give into the scope's notes (for the audit)."""
    rows = sheet.rows

    def counted():
        hidden = 0
        try:
            for row in rows():
                hidden += sum(1 for value in row if isinstance(value, str) and value == HIDDEN)
                yield row
        finally:
            scope.note_suppressed(sheet.key, hidden)

    sheet.rows = counted
    return sheet


def left_out(scope: Scope) -> dict:
    """What a ward admin's export of the same groups has and this one has not: sheet and column keys only.

    {"sheets": [sheet keys], "columns": {sheet key: [column keys]}}, empty for a ward admin's export.
    """
    if scope.personal:
        return {}
    admin = User(role=Role.WARD_ADMIN, ward_id=scope.ward_id, username="audit", full_name="audit")
    full = build_sheets(replace(scope, viewer=admin, notes={}, cache={}))
    mine = {sheet.key: {column.key for column in sheet.columns} for sheet in build_sheets(replace(scope, notes={}, cache={}))}
    columns = {}
    for sheet in full:
        missing = [column.key for column in sheet.columns if column.key not in mine.get(sheet.key, ())]
        if sheet.key in mine and missing:
            columns[sheet.key] = missing
    return {"sheets": [sheet.key for sheet in full if sheet.key not in mine], "columns": columns}


def dictionary_sheet(scope: Scope, sheets: list[Sheet]) -> Sheet:
    """Every column of every other sheet: name, labels vi and en, type, choices, form versions."""
    columns = [
        Column("sheet", "Trang tính", "Sheet", TEXT, 18),
        Column("file", "Tệp CSV", "CSV file", TEXT, 16),
        Column("column", "Tên cột", "Column name", TEXT, 22),
        Column("label_vi", "Nhãn (tiếng Việt)", "Label (Vietnamese)", TEXT, 36),
        Column("label_en", "Nhãn (tiếng Anh)", "Label (English)", TEXT, 36),
        Column("type", "Kiểu", "Type", TEXT, 9),
        Column("choices", "Lựa chọn", "Choices", TEXT, 50),
        Column("form_versions", "Phiên bản biểu mẫu", "Form versions", TEXT, 12),
    ]
    described = [(sheet.title(scope.lang), f"{sheet.key}.csv", column) for sheet in sheets for column in sheet.columns]

    def rows():
        for title, file_name, c in described:
            yield title, file_name, c.key, c.vi, c.en, c.type, c.choices, c.versions

    return Sheet("dictionary", "Từ điển dữ liệu", "Data dictionary", columns, rows, lambda: len(described), freeze_columns=3)
