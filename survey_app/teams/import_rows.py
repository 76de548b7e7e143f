"""Checking imported rows (residential groups, people, households): one clear message per problem, per row.

The checks are pure: what they need from the database comes in an `ImportContext`. A preview
is a JSON-ready dict kept in an `ImportBatch` until the admin confirms it.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field

from flask_babel import gettext as _

from survey_app.accounts.models import CITY_ROLES, Role
from survey_app.phones import normalize_phone  # noqa: F401  (re-exported for the import operations)
from survey_app.teams.imports import ENCODING_LABELS, MAX_HOUSEHOLD_ROWS, MAX_ROWS, Table
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
HOUSEHOLD_COLUMNS = {
    "group_code": (
        "ma to",
        "ma to dan pho",
        "ma tdp",
        "ma thon",
        "to",
        "to dan pho",
        "thon",
        "tdp",
        "group",
        "residential_group",
        "residential_group_code",
    ),
    "address": ("dia chi", "dia chi ho", "so nha"),
    "head_name": ("chu ho", "ho ten chu ho", "ho va ten chu ho", "ten chu ho", "head", "head_of_household", "household_head"),
    "phone": ("so dien thoai", "dien thoai", "sdt", "so dt", "phone_number"),
    "member_count": ("so nhan khau", "nhan khau", "so thanh vien", "so nguoi", "members", "number_of_members"),
    "household_code": ("ma ho", "ma ho gia dinh", "ma so ho", "household_id"),
}
HOUSEHOLD_REQUIRED = ("group_code", "address", "head_name")
#: Kind -> (column aliases, required columns, most rows in a file).
KINDS = {
    "groups": (GROUP_COLUMNS, GROUP_REQUIRED, MAX_ROWS),
    "people": (PEOPLE_COLUMNS, PEOPLE_REQUIRED, MAX_ROWS),
    "households": (HOUSEHOLD_COLUMNS, HOUSEHOLD_REQUIRED, MAX_HOUSEHOLD_ROWS),
}
MEMBER_COUNT_RANGE = (1, 50)
HOUSEHOLD_CODE_MAX = 50
#: Rows of a household preview listed on its page (every count is shown whatever the size).
SHOWN_ROWS = 1000

_CODE = re.compile(r"[A-Za-z0-9_.\-]{1,20}")
_LEADER_WORDS = {"leader", "team leader", "to truong", "truong", "to truong to cong tac", "truong nhom"}
_MEMBER_WORDS = {"", "member", "thanh vien", "to vien", "khao sat vien", "surveyor"}
#: Account roles a ward's people import may give (folded words -> role); empty means surveyor.
_ACCOUNT_ROLE_WORDS = {
    **dict.fromkeys(("", "surveyor", "khao sat vien", "tinh nguyen vien", "volunteer"), Role.SURVEYOR),
    **dict.fromkeys(("team leader", "to truong", "to truong khao sat"), Role.TEAM_LEADER),
    **dict.fromkeys(("ward admin", "can bo phuong", "can bo xa", "can bo phuong xa", "quan tri phuong"), Role.WARD_ADMIN),
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
    #: Households: the ward's groups (lower-case code -> (id, code)) ...
    groups: dict[str, tuple[int, str]] = field(default_factory=dict)
    #: ... lower-case codes of the file that only other wards have ...
    other_ward_codes: set[str] = field(default_factory=set)
    #: ... and the households of earlier imports in the file's groups, by (group id, list_key).
    listed: dict[tuple[int, str], ListedHousehold] = field(default_factory=dict)


@dataclass(frozen=True)
class ListedHousehold:
    """A household that came from an earlier import of the list (its list_key is set)."""

    id: int
    group_id: int
    list_key: str
    address: str
    head_name: str
    phone: str | None
    member_count: int | None
    #: Already visited (any status but not visited, a visit, a submission, a support event):
    #: such a household is never deleted by a re-import.
    visited: bool


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
            message = _(
                "Line %(line)s, column “%(column)s”: %(problem)s",
                line=self.line,
                column=self.headers.get(column, column),
                problem=problem,
            )
        self.errors.append({"column": column, "message": message})

    def as_dict(self) -> dict:
        return {"line": self.line, "raw": self.raw, "values": self.values, "errors": self.errors, "action": self.action}


def new_preview(kind: str, filename: str, table: Table | None, file_errors: list[str] | None = None) -> dict:
    """The JSON kept in an ImportBatch: the file as read, before the row checks fill `rows`."""
    return {
        "kind": kind,
        "filename": filename,
        "encoding": table.encoding if table else None,
        "encoding_label": ENCODING_LABELS.get(table.encoding, "") if table else "",
        "headers": table.headers if table else {},
        "table": [[line, raw] for line, raw in table.rows] if table else [],
        "ignored_headers": table.ignored_headers if table else [],
        "boundaries": {},
        "boundary_errors": [],
        "file_errors": list(file_errors or []),
        "rows": [],
    }


def error_count(preview: dict) -> int:
    return len(preview["file_errors"]) + len(preview["boundary_errors"]) + sum(len(row["errors"]) for row in preview["rows"])


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
            row.values = {"code": existing[code.lower()], "boundary": shape["boundary"], "lat": shape["lat"], "lon": shape["lon"]}
        else:
            row.error(
                "code", _("The boundary file has code “%(code)s”, which is neither in the table nor in this ward.", code=code)
            )
        rows.append(row)
    preview["rows"] = [row.as_dict() for row in rows]
    return preview


def _check_group(row: _Row, existing: dict[str, str], seen: dict[str, int]) -> None:
    raw = row.raw
    code = raw.get("code", "")
    if not code:
        row.error("code", _("the code is empty"))
    elif not _CODE.fullmatch(code):
        row.error(
            "code",
            _("the code “%(code)s” may only have letters without accents, digits, “-”, “_” or “.” (at most 20)", code=code),
        )
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
        row.error("expected_households", _("“%(value)s” is not a whole number of households (0 or more)", value=households))
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
                    row.error(
                        "phone",
                        _(
                            "this person (phone %(phone)s) is also on line %(other)s in another team: "
                            "a person can be in one team only",
                            phone=phone,
                            other=other_line,
                        ),
                    )
                else:
                    row.error(
                        "phone", _("this person (phone %(phone)s) is already on line %(other)s", phone=phone, other=other_line)
                    )
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
        row.error(
            "phone",
            _("“%(value)s” is not a Vietnamese phone number (10 or 11 digits starting with 0)", value=raw.get("phone", "")),
        )
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
            row.error(
                "standing_team",
                _(
                    "standing team %(number)s does not exist in this ward; add it on the teams page first",
                    number=int(match.group(1)),
                ),
            )
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
        row.error(
            "role", _("“%(value)s” is not a role: write “leader” (tổ trưởng) or “member” (thành viên)", value=raw.get("role", ""))
        )


def _check_account_role(row: _Row, team_text: str) -> Role | None:
    """The account's role (surveyor by default); city roles are never created by a ward's import."""
    text = row.raw.get("account_role", "")
    role = _ACCOUNT_ROLE_WORDS.get(re.sub(r"[\s_\-]+", " ", fold(text)).strip())
    if role is None:
        row.error(
            "account_role",
            _(
                "“%(value)s” is not an account role: write “khảo sát viên” (surveyor), "
                "“tổ trưởng” (team leader) or “cán bộ phường” (ward admin)",
                value=text,
            ),
        )
    elif role in CITY_ROLES:
        row.error(
            "account_role",
            _(
                "a ward's import cannot create the city role “%(value)s” (%(role)s): city accounts are made by the city",
                value=text,
                role=role.value,
            ),
        )
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
        row.error(
            "office",
            _(
                "unknown office “%(value)s”; use one of: %(offices)s",
                value=office_text,
                offices=", ".join(o.code for o in OFFICES),
            ),
        )
    else:
        row.values["office"] = office.code


# --- households ------------------------------------------------------------------------------


def household_list_key(address: str, head_name: str, code: str | None = None) -> str:
    """A row's identity in the ward's list: its household code, else a digest of address and head.

    The code is prefixed ("code:…") so it can never equal a digest; the digest is sha256 of the
    folded (lower case, no accents, single spaces) address and head's name.
    """
    if code:
        return "code:" + fold(code)
    return hashlib.sha256(f"{fold(address)}\n{fold(head_name)}".encode()).hexdigest()


def check_households(preview: dict, context: ImportContext) -> dict:
    """Fill a household preview: each row checked, matched to the list as saved, and the plan.

    The file is the list of every group it names: households of those groups from an earlier
    import that are not in the file are deleted, unless already visited (then kept). Households
    registered at the door (no list_key) and groups not in the file are left alone.

    `rows` stays small (line, action, errors; the cells are in `table`); `plan` holds what
    `confirm` writes and is never stored in the batch.
    """
    headers = preview["headers"]
    managed = [name for name in ("phone", "member_count") if name in headers]  # absent column: left as is
    seen: dict[tuple[int, str], int] = {}
    groups: dict[int, dict] = {}
    plan: dict = {"create": [], "update": [], "delete": [], "fields": ["address", "head_name", *managed]}
    rows = []
    for line, raw in preview["table"]:
        row = _Row(line, raw, headers)
        row.action = None
        group = _check_household(row, context)
        if group is not None:
            summary = groups.setdefault(group[0], _group_summary(group[1]))
            key = row.values.get("list_key")
            if key is not None:
                other = seen.get((group[0], key))
                if other is not None and key.startswith("code:"):
                    row.error(
                        "household_code",
                        _(
                            "the household code “%(code)s” is already on line %(other)s for the same group",
                            code=raw.get("household_code", ""),
                            other=other,
                        ),
                    )
                elif other is not None:
                    row.error(
                        "address",
                        _("the same address and head of household are already on line %(other)s for the same group", other=other),
                    )
                else:
                    seen[(group[0], key)] = line
            if not row.errors:
                row.action = _household_action(row.values, context.listed.get((group[0], key)), plan)
                summary[row.action] += 1
        rows.append({"line": line, "action": row.action, "errors": row.errors})
    kept = []
    for listed in sorted(context.listed.values(), key=lambda h: h.id):
        if listed.group_id not in groups or (listed.group_id, listed.list_key) in seen:
            continue
        summary = groups[listed.group_id]
        if listed.visited:
            summary["kept"] += 1
            kept.append({"group": summary["code"], "address": listed.address, "head_name": listed.head_name})
        else:
            summary["delete"] += 1
            plan["delete"].append(listed.id)
    preview["rows"] = rows
    preview["households"] = {
        "groups": sorted(groups.values(), key=lambda g: g["code"]),
        "totals": {action: sum(g[action] for g in groups.values()) for action in _HOUSEHOLD_ACTIONS},
        "kept": kept[:SHOWN_ROWS],
    }
    preview["plan"] = plan
    return preview


_HOUSEHOLD_ACTIONS = ("create", "update", "unchanged", "delete", "kept")


def _group_summary(code: str) -> dict:
    return {"code": code, **dict.fromkeys(_HOUSEHOLD_ACTIONS, 0)}


def _household_action(values: dict, listed: ListedHousehold | None, plan: dict) -> str:
    """create (not listed yet), update (some value differs) or unchanged (nothing is written)."""
    if listed is None:
        plan["create"].append(values)
        return "create"
    changes = {name: values[name] for name in plan["fields"]}
    if all(getattr(listed, name) == value for name, value in changes.items()):
        return "unchanged"
    plan["update"].append({"id": listed.id, **changes})
    return "update"


def _check_household(row: _Row, context: ImportContext) -> tuple[int, str] | None:
    """Check one row; its values get the group id and list_key. Returns the group (id, code) if known."""
    raw = row.raw
    group = None
    code = raw.get("group_code", "")
    if not code:
        row.error("group_code", _("the residential group code is empty"))
    elif code.lower() in context.groups:
        group = context.groups[code.lower()]
        row.values["group_id"] = group[0]
    elif code.lower() in context.other_ward_codes:
        row.error("group_code", _("residential group “%(code)s” is not in this ward: it belongs to another ward", code=code))
    else:
        row.error(
            "group_code",
            _("there is no residential group “%(code)s” in this ward; import the residential groups first", code=code),
        )
    address = " ".join(raw.get("address", "").split())
    if not address:
        row.error("address", _("the address is empty"))
    elif len(address) > 255:
        row.error("address", _("the address is longer than %(count)s characters", count=255))
    else:
        row.values["address"] = address
    head = " ".join(raw.get("head_name", "").split())
    if not head:
        row.error("head_name", _("the head of household's name is empty"))
    elif len(head) > 120:
        row.error("head_name", _("the name is longer than %(count)s characters", count=120))
    else:
        row.values["head_name"] = head
    phone_text = raw.get("phone", "")
    row.values["phone"] = None
    if phone_text:
        phone = normalize_phone(phone_text)
        if phone is None:
            row.error(
                "phone", _("“%(value)s” is not a Vietnamese phone number (10 or 11 digits starting with 0)", value=phone_text)
            )
        row.values["phone"] = phone
    count_text = raw.get("member_count", "").replace(" ", "")
    row.values["member_count"] = None
    if count_text:
        low, high = MEMBER_COUNT_RANGE
        if not re.fullmatch(r"\d{1,3}", count_text) or not low <= int(count_text) <= high:
            row.error(
                "member_count",
                _("“%(value)s” is not a whole number of members from %(low)s to %(high)s", value=count_text, low=low, high=high),
            )
        else:
            row.values["member_count"] = int(count_text)
    household_code = " ".join(raw.get("household_code", "").split())
    if len(household_code) > HOUSEHOLD_CODE_MAX:
        row.error(
            "household_code",
            _("the household code “%(code)s” is longer than %(count)s characters", code=household_code, count=HOUSEHOLD_CODE_MAX),
        )
    elif household_code or ("address" in row.values and "head_name" in row.values):
        row.values["list_key"] = household_list_key(address, head, household_code)
    return group


def shown_rows(preview: dict, limit: int = SHOWN_ROWS) -> tuple[list[dict], int]:
    """Rows for the preview page with their cells, and how many are left out.

    A household list can have 30,000 rows: its page lists the rows with problems first, then new
    and changed ones, up to `limit`; unchanged rows are only counted. Other kinds list every row.
    """
    if preview["kind"] != "households":
        return preview["rows"], 0
    problems, changes = [], []
    for index, row in enumerate(preview["rows"]):
        if row["errors"]:
            problems.append(index)
        elif row["action"] in ("create", "update"):
            changes.append(index)
    chosen = problems + changes
    shown = [{**preview["rows"][index], "raw": preview["table"][index][1]} for index in chosen[:limit]]
    return shown, len(chosen) - len(shown)
