"""Possible duplicate households and members, and merging two households into one.

Two households of one residential group may be the same one when their addresses are the same, or their
heads' names nearly match (one typo) at the same house number of nearly the same address (two typos)
or of the same street, compared as the phone compares them at the door (static/js/phone/lists.js, `possibleDuplicates`): without accents, case, punctuation,
"số" or "nhà". Members of one household are possible duplicates when they have the same name and birth
year. A ward admin merges a pair: every visit, submission, member and support act of the household set
aside moves to the one kept, which then counts once in coverage. Functions only flush; the caller commits.
"""

from __future__ import annotations

import re
import unicodedata
from collections import defaultdict
from dataclasses import dataclass
from functools import lru_cache

import sqlalchemy as sa
from flask_babel import gettext as _

from survey_app.access import visible
from survey_app.accounts.models import User
from survey_app.audit.operations import record as audit
from survey_app.collection.models import Household, HouseholdStatus, Person, Submission, Visit
from survey_app.extensions import db
from survey_app.sync import outbox

#: The order of statuses when two households become one: the furthest along is kept.
_PROGRESS = [
    HouseholdStatus.NOT_VISITED,
    HouseholdStatus.REVISIT,
    HouseholdStatus.NOT_FOUND,
    HouseholdStatus.MOVED,
    HouseholdStatus.REFUSED,
    HouseholdStatus.DONE,
]


class MergeRefused(ValueError):
    """Two households that may not become one; the message says why (shown to the user)."""


def fold(text) -> str:
    """Lower case, no accents (đ as d); letters outside Latin dropped."""
    plain_d = str(text or "").replace("đ", "d").replace("Đ", "D")
    return unicodedata.normalize("NFD", plain_d).encode("ascii", "ignore").decode().lower()


@lru_cache(maxsize=65536)
def plain(text) -> str:
    """An address or a name as compared at the door: no accents, case or punctuation; "số" and "nhà" dropped.
    Kept for the texts seen last: a group's addresses are compared again at each household found in it."""
    return " ".join(w for w in re.sub(r"[^a-z0-9]+", " ", fold(text)).split() if w not in ("so", "nha"))


def _first_number(text: str) -> str | None:
    found = re.search(r"\d+", text)
    return found.group(0) if found else None


def within(a: str, b: str, most: int) -> bool:
    """Whether two texts are at most `most` edits (a letter added, dropped or changed) apart."""
    if abs(len(a) - len(b)) > most:
        return False
    row = list(range(len(b) + 1))
    for i, letter in enumerate(a, 1):
        nxt = [i]
        for j, other in enumerate(b, 1):
            nxt.append(min(row[j] + 1, nxt[j - 1] + 1, row[j - 1] + (letter != other)))
        row = nxt
    return row[-1] <= most


def same_household(a_address: str, a_head: str, b_address: str, b_head: str) -> bool:
    """Whether two households of one group may be the same: the same address; or the head's name (a typo
    aside) at the same house number of nearly the same address (two typos aside) or of the same street.
    The phone asks at the door by the same rule (static/js/phone/lists.js, possibleDuplicates)."""
    address_a, address_b = plain(a_address), plain(b_address)
    if address_a and address_a == address_b:
        return True
    if not plain(a_head) or not within(plain(a_head), plain(b_head), 1):
        return False
    number = _first_number(address_a)
    if number is None or number != _first_number(address_b):
        return False
    return within(address_a, address_b, 2) or address_a.split()[-2:] == address_b.split()[-2:]


@dataclass
class Pair:
    group_id: int
    group_name: str
    first: Household
    second: Household


def household_pairs(user: User, ward_id: int, limit: int = 200) -> list[Pair]:
    """Possible duplicate households the user may see, in pairs within a group; at least one of each
    pair was registered at the door (not on the imported list). Compared on plain rows; only the pairs
    found are loaded as households."""
    columns = (Household.id, Household.residential_group_id, Household.address, Household.head_name, Household.list_key)
    scope = (Household.ward_id == ward_id, visible(Household, user))
    door_groups = sa.select(Household.residential_group_id).where(*scope, Household.list_key.is_(None)).distinct()
    rows = db.session.execute(  # only the groups where a household was registered at the door
        sa.select(*columns)
        .where(*scope, Household.residential_group_id.in_(door_groups))
        .order_by(Household.residential_group_id, Household.id)
    ).all()
    keys: dict = defaultdict(list)
    for row in rows:  # candidates share the group and the folded address, or the house number
        address = plain(row.address)
        keys[(row.residential_group_id, "a", address)].append(row)
        number = _first_number(address)
        if number is not None:
            keys[(row.residential_group_id, "n", number)].append(row)
    found, seen = [], set()
    for candidates in keys.values():
        for i, first in enumerate(candidates):
            for second in candidates[i + 1 :]:
                key = (first.id, second.id)
                if key in seen or (first.list_key is not None and second.list_key is not None):
                    continue
                seen.add(key)
                if same_household(first.address, first.head_name, second.address, second.head_name):
                    found.append(key)
    found = sorted(found)[:limit]
    loaded = (
        {
            h.id: h
            for h in db.session.execute(
                sa.select(Household).where(Household.id.in_({i for pair in found for i in pair}))
            ).scalars()
        }
        if found
        else {}
    )
    return [Pair(loaded[a].residential_group_id, loaded[a].residential_group.name, loaded[a], loaded[b]) for a, b in found]


def listed_match(group_id: int, address, head_name) -> Household | None:
    """The one household of the group a self-survey's address and head's name point to; None when none
    or several do (it stays a survey of its own, counted by itself)."""
    wanted = plain(address) if isinstance(address, str) else ""
    if not wanted:
        return None
    head = plain(head_name) if isinstance(head_name, str) else ""
    rows = db.session.execute(
        sa.select(Household.id, Household.address, Household.head_name).where(Household.residential_group_id == group_id)
    )
    found = [hid for hid, listed, name in rows if plain(listed) == wanted and (not head or plain(name) == head)]
    return db.session.get(Household, found[0]) if len(found) == 1 else None


def matches_of(household: Household) -> list[Household]:
    """The other households of its group it may be (for its record's review page)."""
    others = db.session.execute(
        sa.select(Household).where(Household.residential_group_id == household.residential_group_id, Household.id != household.id)
    ).scalars()
    return [
        other
        for other in others
        if not (other.list_key is not None and household.list_key is not None)
        and same_household(household.address, household.head_name, other.address, other.head_name)
    ]


def person_pairs(household: Household) -> list[tuple[Person, Person]]:
    """Members of one household with the same name and birth year."""
    found = []
    members = list(household.members)
    for i, first in enumerate(members):
        for second in members[i + 1 :]:
            if plain(first.full_name) == plain(second.full_name) and first.birth_year == second.birth_year:
                found.append((first, second))
    return found


def merge(keep: Household, drop: Household, actor: User) -> dict:
    """Move everything of `drop` to `keep` and remove `drop`; the counts moved. MergeRefused when the
    two are not of the same group (and so of one ward), or are one household."""
    if keep.id == drop.id:
        raise MergeRefused(_("A household cannot be merged with itself."))
    if keep.ward_id != drop.ward_id or keep.residential_group_id != drop.residential_group_id:
        raise MergeRefused(_("Only two households of the same residential group can be merged."))
    moved = {}
    for model in (Visit, Submission):
        moved[model.__tablename__] = db.session.execute(
            sa.update(model).where(model.household_id == drop.id).values(household_id=keep.id)
        ).rowcount
    next_line = max((p.line_no for p in keep.members), default=0) + 1
    people = db.session.execute(sa.select(Person).where(Person.household_id == drop.id).order_by(Person.line_no)).scalars().all()
    for person in people:  # its members follow, numbered after the kept household's
        person.household_id, person.line_no = keep.id, next_line
        next_line += 1
    moved["persons"] = len(people)
    moved.update(_move_other_rows(keep.id, drop.id))
    keep.status = max(keep.status, drop.status, key=_PROGRESS.index)
    keep.member_count = keep.member_count or drop.member_count
    keep.phone = keep.phone or drop.phone
    list_key, client_uuid = drop.list_key, drop.client_uuid
    drop.list_key = drop.client_uuid = None  # both unique: free them before the kept household takes them
    db.session.flush()
    keep.list_key = keep.list_key or list_key
    keep.client_uuid = keep.client_uuid or client_uuid  # a phone's later records of it find the kept one
    db.session.flush()
    db.session.execute(sa.delete(outbox.OutboxEntry.__table__).where(outbox.OutboxEntry.__table__.c.household_id == drop.id))
    dropped = {"id": drop.id, "address": drop.address, "head_name": drop.head_name}
    db.session.delete(drop)
    db.session.flush()
    outbox.note(keep.ward_id, household_id=keep.id)  # its figures and checks are derived again
    audit(
        "household.merged",
        user=actor,
        ward_id=keep.ward_id,
        object_type="households",
        object_id=keep.id,
        detail={"merged": dropped["id"], **moved},
    )
    return moved


def _move_other_rows(keep_id: int, drop_id: int) -> dict:
    """Rows of other tables that name the household (support acts, indicators, entities' links)."""
    moved = {}
    for table in db.metadata.sorted_tables:
        if table.name in ("households", "visits", "submissions", "quarantined_submissions", "persons", "outbox"):
            continue
        for column in table.columns:
            if any(fk.column.table.name == "households" for fk in column.foreign_keys):
                count = db.session.execute(sa.update(table).where(column == drop_id).values({column.name: keep_id})).rowcount
                if count:
                    moved[table.name] = moved.get(table.name, 0) + count
    return moved
