"""Checking imported rows (residential groups, people): one clear message per problem, per row.

The checks are pure: what they need from the database comes in an `ImportContext`. A preview
is a JSON-ready dict kept in an `ImportBatch` until the admin confirms it.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

from flask_babel import gettext as _

from survey_app.accounts.models import CITY_ROLES, Role
from survey_app.teams.imports import ENCODING_LABELS, Table
from survey_app.teams.offices import OFFICES, find_office, fold

GROUP_COLUMNS = {
    "code": ("ma", "ma to", "ma to dan pho", "ma tdp", "group_code"),
    "name": ("ten", "ten to", "ten to dan pho", "group_name"),
    "expected_households": ("households", "so ho", "so ho du kien", "expected"),
    "venue_name": ("venue", "nha van hoa", "dia diem"),
    "lat": ("latitude", "centroid_lat", "vi do"),
    "lon": ("lng", "longitude", "centroid_lon", "kinh do"),
}
GROUP_REQUIRED = ("code", "name", "expected_households")
PEOPLE_COLUMNS = {
    "full_name": ("name", "ho ten", "ho va ten", "ten"),
    "phone": ("phone_number", "so dien thoai", "dien thoai", "sdt"),
    "standing_team": ("standing_team_number", "to", "to cong tac", "so to", "to thuong truc"),
    "office": ("co quan", "don vi", "phong ban", "office_code"),
    #: Leader or member of the standing team (not the account's role: see account_role).
    "role": ("vai tro", "chuc vu"),
    "account_role": ("vai tro tai khoan", "loai tai khoan", "quyen", "quyen tai khoan", "account_type"),
}
PEOPLE_REQUIRED = ("full_name", "phone")

_CODE = re.compile(r"[A-Za-z0-9_.\-]{1,20}")
_LEADER_WORDS = {"leader", "team leader", "to truong", "truong", "to truong to cong tac", "truong nhom"}
_MEMBER_WORDS = {"", "member", "thanh vien", "to vien", "khao sat vien", "surveyor"}
#: Account roles a ward's people import may give (folded words -> role); empty means surveyor.
_ACCOUNT_ROLE_WORDS = {
    **dict.fromkeys(("", "surveyor", "khao sat vien", "tinh nguyen vien", "volunteer"), Role.SURVEYOR),
    **dict.fromkeys(("team leader", "to truong", "to truong khao sat"), Role.TEAM_LEADER),
    **dict.fromkeys(("ward admin", "can bo phuong", "can bo xa", "can bo phuong xa", "quan tri phuong"),
                    Role.WARD_ADMIN),
    **dict.fromkeys(("city viewer", "can bo thanh pho", "can bo tinh"), Role.CITY_VIEWER),
    **dict.fromkeys(("city admin", "quan tri thanh pho", "quan tri tinh"), Role.CITY_ADMIN),
}



@dataclass
class ImportContext:
    """What the checks need to know about the ward."""

    existing_codes: set[str] = field(default_factory=set)
    standing_numbers: set[int] = field(default_factory=set)
    #: Phone numbers (and login names) already taken by an account.
    taken_phones: set[str] = field(default_factory=set)


class _Row:
    def __init__(self, line, raw: dict, headers: dict[str, str]):
        self.line, self.raw, self.headers = line, raw, headers
        self.values: dict = {}
        self.errors: list[dict] = []
        self.action = "create"

    def error(self, column: str, problem: str) -> None:
        if self.line is None:
            message = problem
        else:
            message = _("Line %(line)s, column “%(column)s”: %(problem)s", line=self.line,
                        column=self.headers.get(column, column), problem=problem)
        self.errors.append({"column": column, "message": message})

    def as_dict(self) -> dict:
        return {"line": self.line, "raw": self.raw, "values": self.values, "errors": self.errors,
                "action": self.action}


def new_preview(kind: str, filename: str, table: Table | None, file_errors: list[str] | None = None) -> dict:
    """The JSON kept in an ImportBatch: the file as read, before the row checks fill `rows`."""
    return {
        "kind": kind, "filename": filename,
        "encoding": table.encoding if table else None,
        "encoding_label": ENCODING_LABELS.get(table.encoding, "") if table else "",
        "headers": table.headers if table else {},
        "table": [[line, raw] for line, raw in table.rows] if table else [],
        "ignored_headers": table.ignored_headers if table else [],
        "boundaries": {}, "boundary_errors": [],
        "file_errors": list(file_errors or []), "rows": [],
    }


def error_count(preview: dict) -> int:
    return len(preview["file_errors"]) + len(preview["boundary_errors"]) + sum(
        len(row["errors"]) for row in preview["rows"])


# --- residential groups ----------------------------------------------------------------------

def check_groups(preview: dict, context: ImportContext) -> dict:
    """Fill `rows` of a groups preview: each row parsed, with its errors and create/update."""
    headers, boundaries = preview["headers"], preview["boundaries"]
    existing = {code.lower(): code for code in context.existing_codes}
    seen: dict[str, int] = {}
    rows = []
    for line, raw in preview["table"]:
        row = _Row(line, raw, headers)
        _check_group(row, existing, seen)
        code = row.values.get("code")
        if code and code in boundaries:
            row.values["boundary"] = boundaries[code]["boundary"]
            if "lat" not in row.values:
                row.values["lat"], row.values["lon"] = boundaries[code]["lat"], boundaries[code]["lon"]
        rows.append(row)
    in_file = {code.lower() for code in seen}
    for code, shape in boundaries.items():
        if code.lower() in in_file:
            continue
        row = _Row(None, {"code": code}, headers)
        row.action = "boundary"
        if code.lower() in existing:
            row.values = {"code": existing[code.lower()], "boundary": shape["boundary"],
                          "lat": shape["lat"], "lon": shape["lon"]}
        else:
            row.error("code", _("The boundary file has code “%(code)s”, which is neither in the table nor "
                                "in this ward.", code=code))
        rows.append(row)
    preview["rows"] = [row.as_dict() for row in rows]
    return preview


def _check_group(row: _Row, existing: dict[str, str], seen: dict[str, int]) -> None:
    raw = row.raw
    code = raw.get("code", "")
    if not code:
        row.error("code", _("the code is empty"))
    elif not _CODE.fullmatch(code):
        row.error("code", _("the code “%(code)s” may only have letters without accents, digits, “-”, “_” "
                            "or “.” (at most 20)", code=code))
    elif code.lower() in seen:
        row.error("code", _("the code “%(code)s” is already on line %(other)s", code=code, other=seen[code.lower()]))
    else:
        seen[code.lower()] = row.line
        row.values["code"] = existing.get(code.lower(), code)
        row.action = "update" if code.lower() in existing else "create"
    name = raw.get("name", "")
    if not name:
        row.error("name", _("the name is empty"))
    elif len(name) > 120:
        row.error("name", _("the name is longer than %(count)s characters", count=120))
    else:
        row.values["name"] = name
    households = raw.get("expected_households", "").replace(" ", "")
    if not re.fullmatch(r"\d{1,6}", households):
        row.error("expected_households", _("“%(value)s” is not a whole number of households (0 or more)",
                                           value=households))
    else:
        row.values["expected_households"] = int(households)
    venue = raw.get("venue_name", "")
    if len(venue) > 160:
        row.error("venue_name", _("the name is longer than %(count)s characters", count=160))
    elif venue:
        row.values["venue_name"] = venue
    _check_point(row)


def _check_point(row: _Row) -> None:
    lat_text, lon_text = row.raw.get("lat", ""), row.raw.get("lon", "")
    if not lat_text and not lon_text:
        return
    parsed = {}
    for column, text, limit in (("lat", lat_text, 90), ("lon", lon_text, 180)):
        try:
            value = float(text.replace(",", "."))
        except ValueError:
            row.error(column, _("“%(value)s” is not a number", value=text))
            continue
        if not -limit <= value <= limit:
            row.error(column, _("%(value)s is outside -%(limit)s..%(limit)s", value=text, limit=limit))
            continue
        parsed[column] = value
    if len(parsed) == 2:
        row.values.update(parsed)


# --- people ----------------------------------------------------------------------------------

def normalize_phone(text: str) -> str | None:
    """A Vietnamese phone number as 0xxxxxxxxx, or None if it is not one."""
    digits = re.sub(r"[\s.\-()]", "", text)
    if digits.startswith("+84"):
        digits = "0" + digits[3:]
    elif digits.startswith("84") and len(digits) in (11, 12):
        digits = "0" + digits[2:]
    elif re.fullmatch(r"[1-9]\d{8}", digits):
        digits = "0" + digits  # a spreadsheet dropped the leading zero
    return digits if re.fullmatch(r"0\d{9,10}", digits) else None


def check_people(preview: dict, context: ImportContext) -> dict:
    """Fill `rows` of a people preview: each person parsed, with their errors."""
    headers = preview["headers"]
    seen: dict[str, tuple[int, int | None]] = {}
    rows = []
    for line, raw in preview["table"]:
        row = _Row(line, raw, headers)
        _check_person(row, context)
        phone = row.values.get("phone")
        if phone:
            if phone in seen:
                other_line, other_team = seen[phone]
                team = row.values.get("standing_team")
                if team != other_team:
                    row.error("phone", _("this person (phone %(phone)s) is also on line %(other)s in another team: "
                                         "a person can be in one team only", phone=phone, other=other_line))
                else:
                    row.error("phone", _("this person (phone %(phone)s) is already on line %(other)s",
                                         phone=phone, other=other_line))
            else:
                seen[phone] = (line, row.values.get("standing_team"))
        rows.append(row)
    preview["rows"] = [row.as_dict() for row in rows]
    return preview


def _check_person(row: _Row, context: ImportContext) -> None:
    raw = row.raw
    name = raw.get("full_name", "")
    if not name:
        row.error("full_name", _("the name is empty"))
    elif len(name) > 120:
        row.error("full_name", _("the name is longer than %(count)s characters", count=120))
    else:
        row.values["full_name"] = name
    phone = normalize_phone(raw.get("phone", ""))
    if phone is None:
        row.error("phone", _("“%(value)s” is not a Vietnamese phone number (10 or 11 digits starting with 0)",
                             value=raw.get("phone", "")))
    elif phone in context.taken_phones:
        row.error("phone", _("an account with phone %(phone)s already exists", phone=phone))
    else:
        row.values["phone"] = phone
    team_text = raw.get("standing_team", "")
    team = None
    if team_text:
        match = re.fullmatch(r"(?:to\s*(?:so\s*)?)?(\d{1,4})", fold(team_text))
        if not match:
            row.error("standing_team", _("“%(value)s” is not a standing team number", value=team_text))
        elif int(match.group(1)) not in context.standing_numbers:
            row.error("standing_team", _("standing team %(number)s does not exist in this ward; add it on the "
                                         "teams page first", number=int(match.group(1))))
        else:
            team = int(match.group(1))
    row.values["standing_team"] = team
    account_role = _check_account_role(row, team_text)
    if account_role != Role.WARD_ADMIN or raw.get("office", ""):
        _check_office(row, team_text)
    else:
        row.values["office"] = None  # ward staff are not mobilised into teams: their office is optional
    role = fold(raw.get("role", ""))
    if role in _LEADER_WORDS:
        row.values["leader"] = True
        if not team_text:
            row.error("role", _("only standing team members can be marked as leaders"))
    elif role in _MEMBER_WORDS:
        row.values["leader"] = False
    else:
        row.error("role", _("“%(value)s” is not a role: write “leader” (tổ trưởng) or “member” (thành viên)",
                            value=raw.get("role", "")))


def _check_account_role(row: _Row, team_text: str) -> Role | None:
    """The account's role (surveyor by default); city roles are never created by a ward's import."""
    text = row.raw.get("account_role", "")
    role = _ACCOUNT_ROLE_WORDS.get(re.sub(r"[\s_\-]+", " ", fold(text)).strip())
    if role is None:
        row.error("account_role", _("“%(value)s” is not an account role: write “khảo sát viên” (surveyor), "
                                    "“tổ trưởng” (team leader) or “cán bộ phường” (ward admin)", value=text))
    elif role in CITY_ROLES:
        row.error("account_role", _("a ward's import cannot create the city role “%(value)s” (%(role)s): "
                                    "city accounts are made by the city", value=text, role=role.value))
        role = None
    elif role == Role.WARD_ADMIN and team_text:
        row.error("account_role", _("a ward admin account cannot be a member of a standing team"))
    else:
        row.values["account_role"] = role.value
    return role


def _check_office(row: _Row, team_text: str) -> None:
    office_text = row.raw.get("office", "")
    if not office_text:
        if not team_text:
            row.error("office", _("mobilised staff (no standing team) need their office"))
        row.values["office"] = None
        return
    office = find_office(office_text)
    if office is None:
        row.error("office", _("unknown office “%(value)s”; use one of: %(offices)s", value=office_text,
                              offices=", ".join(o.code for o in OFFICES)))
    else:
        row.values["office"] = office.code
