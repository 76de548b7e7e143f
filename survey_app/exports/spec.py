"""The shape of an export, apart from any file format: who and what, sheets, typed columns, rows.

A sheet is `(name, columns, rows)`: columns carry a key, Vietnamese and English headers, a type
and a width hint; rows is a callable returning an iterator of tuples streamed from the database.
The writers (writers.py) turn the same sheets into an xlsx workbook or CSV files.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from survey_app.accounts.models import CITY_ROLES, Role, User
from survey_app.exports.privacy import SENSITIVE_FIELDS, exact_age

TEXT, INT, DECIMAL, DATE, DATETIME, PERCENT = "text", "int", "decimal", "date", "datetime", "percent"
TYPES = (TEXT, INT, DECIMAL, DATE, DATETIME, PERCENT)
#: Number format of identifiers, years and positions: no thousands separator.
PLAIN = "0"
#: Excel sheet names are limited to 31 characters.
SHEET_NAME_MAX = 31


@dataclass(frozen=True, slots=True)
class Column:
    """One column: machine key (CSV header), headers in vi and en, value type, width in characters."""

    key: str
    vi: str
    en: str
    type: str = TEXT
    width: float = 14
    #: For the data dictionary: "code = label; ..." of a select question.
    choices: str = ""
    #: For the data dictionary: the form versions the column comes from.
    versions: str = ""
    #: Excel number format when the type's default does not fit (ids and years: "0", not "#,##0").
    number_format: str = ""

    def header(self, lang: str) -> str:
        return self.en if lang == "en" else self.vi


def id_column(key: str, vi: str, en: str, width: float = 10) -> Column:
    """A number that is a name, not a quantity (ids, years, positions): no thousands separator."""
    return Column(key, vi, en, INT, width, number_format=PLAIN)


BAR, LINE = "bar", "line"


@dataclass(frozen=True, slots=True)
class Chart:
    """A native Excel chart on its own chart sheet, drawn from columns of the sheet before it: one series
    per value column (named by its header), one category per row. A bar chart (a figure per group) or a
    line chart (a figure per round: the rows in time order)."""

    vi: str
    en: str
    category: str
    values: tuple[str, ...]
    #: Name of the chart sheet, vi and en.
    sheet_vi: str = "Biểu đồ"
    sheet_en: str = "Chart"
    kind: str = BAR
    #: Fewer rows than this and no chart is drawn (a line needs two points).
    min_rows: int = 1


@dataclass(slots=True)
class Sheet:
    key: str
    vi: str
    en: str
    columns: list[Column]
    rows: Callable[[], Iterable[tuple]]
    #: How many rows `rows()` will give (for the progress bar); a cheap COUNT query.
    count: Callable[[], int]
    chart: Chart | None = None
    #: Columns kept in view when scrolling right (besides the frozen header row).
    freeze_columns: int = 1

    def title(self, lang: str) -> str:
        return (self.en if lang == "en" else self.vi)[:SHEET_NAME_MAX]


@dataclass
class Scope:
    """What is exported and through whose eyes.

    `viewer` is the user whose rights apply (`access.visible`); the CLI passes a transient ward
    admin of the ward. `actor` is who asked, for the audit log (None for the CLI). `secret` is
    the pseudonym key (config.pseudonym_key), never the session key.
    """

    ward_id: int
    ward_code: str
    ward_name: str
    group_ids: tuple[int, ...]
    viewer: User
    actor: User | None
    secret: bytes
    lang: str = "vi"
    codes: bool = False
    #: Every group the viewer may see is chosen (teams without a chosen group are then kept too).
    all_groups: bool = True
    #: Sensitive answers (privacy.SENSITIVE_FIELDS) the ward admin lets non-admin exports carry.
    sensitive: frozenset[str] = frozenset()
    #: Year ages are reached in, for age bands (the survey period's year, else the current one).
    survey_year: int | None = None
    #: What the sheets hid while writing, for the audit log: {"suppressed": {sheet key: cells}}.
    notes: dict = field(default_factory=dict)
    #: Figures computed once per export and shared by its sheets (reports.coverage_figures).
    cache: dict = field(default_factory=dict, repr=False)

    @property
    def personal(self) -> bool:
        """Names, phone numbers, addresses and GPS points: ward admins (and the CLI) only."""
        return self.viewer.role == Role.WARD_ADMIN

    @property
    def figures_only(self) -> bool:
        """City roles get group-level figures with small counts suppressed, never rows about people."""
        return self.viewer.role in CITY_ROLES

    def keeps(self, name: str) -> bool:
        """Whether an answer column is exported: sensitive ones only for admins or when ticked."""
        if self.personal:
            return True
        return not exact_age(name) and (name not in SENSITIVE_FIELDS or name in self.sensitive)

    def note_suppressed(self, sheet: str, cells: int) -> None:
        if cells:
            counts = self.notes.setdefault("suppressed", {})
            counts[sheet] = counts.get(sheet, 0) + cells

    def ref(self, kind: str) -> Callable[[int | None], object]:
        """A function giving the row id as it is exported: the id itself, or a stable pseudonym."""
        if self.personal:
            return lambda value: value
        secret = self.secret

        def pseudonym(value):
            return None if value is None else make_pseudonym(secret, kind, value)

        return pseudonym


def make_pseudonym(secret: bytes, kind: str, value) -> str:
    """HMAC-SHA256 of "kind:id" with the pseudonym key, truncated: stable across exports, not reversible."""
    digest = hmac.new(secret, f"{kind}:{value}".encode(), hashlib.sha256).hexdigest()
    return f"{kind}-{digest[:12]}"


def ref_column(scope: Scope, key: str, vi: str, en: str) -> Column:
    """A row id column: the number for ward admins, a pseudonym (text) for everyone else."""
    return id_column(key, vi, en) if scope.personal else Column(key, vi, en, TEXT, 16)
