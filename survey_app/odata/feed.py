"""The OData feed of one ward's household survey as one person may read it: its tables, their
$metadata (CSDL XML), their rows, and $filter, $select, $top, $skip and $count on them.

Tables (entity sets) are named as ODK Central names them: "Submissions", one row per household-form
submission of the scope, and one set per repeat ("Submissions.members"; a repeat inside the members is
"Submissions.members.<name>"), one row per entry, joined to its parent by `__Submissions-id` (Central's
`__Submissions-members-id` for a nested one). Everything read goes through the exports' query layer
(survey_app.exports.queries): the same scope (`scope_for`), the same questions per role
(`answer_sections`), the same pseudonyms (`Scope.ref`) and the same entry keys ("812/members[2]").

Values keep the form's codes, as Central gives them (a select_multiple's choices separated by spaces);
Excel and Power BI get a typed column per question. `$filter` is parsed by odata-query and turned into
SQL here; it may name the submission's own fields only (`FILTERS`), on every table.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from datetime import date, datetime, time, timezone
from xml.sax.saxutils import quoteattr

import sqlalchemy as sa
from flask_babel import gettext as _
from odata_query import ast as odata_ast
from odata_query import exceptions as odata_errors
from odata_query.grammar import ODataLexer, ODataParser
from odata_query.sqlalchemy import AstToSqlAlchemyCoreVisitor

from survey_app.clock import local_zone
from survey_app.collection.models import ReviewStatus, Submission
from survey_app.exports import queries
from survey_app.extensions import UTCDateTime
from survey_app.formdefs.ids import HOUSEHOLD_FORM
from survey_app.wards.models import ResidentialGroup

ROOT = "Submissions"
MEMBERS = "members"
STRING, INT64, DECIMAL, DATE, DATETIME = "Edm.String", "Edm.Int64", "Edm.Decimal", "Edm.Date", "Edm.DateTimeOffset"
SYSTEM_NAMESPACE = "org.opendatakit.submission"
_EDM_OF_QUESTION = {
    "integer": INT64,
    "decimal": DECIMAL,
    "range": DECIMAL,
    "date": DATE,
    "today": DATE,
    "datetime": DATETIME,
    "start": DATETIME,
    "end": DATETIME,
}
#: Central's review states, by ours ("received" is Central's null: not reviewed yet).
CENTRAL_REVIEW = {
    ReviewStatus.RECEIVED: None,
    ReviewStatus.HAS_ISSUES: "hasIssues",
    ReviewStatus.APPROVED: "approved",
    ReviewStatus.REJECTED: "rejected",
}
#: Central's `__system` record of a submission, as far as this server knows it.
SYSTEM_PROPERTIES = (
    ("submissionDate", DATETIME),
    ("updatedAt", DATETIME),
    ("submitterId", STRING),
    ("reviewState", STRING),
    ("formVersion", STRING),
    ("edits", INT64),
)
_REVIEW_STATE = sa.case(
    *((Submission.review_status == ours, theirs) for ours, theirs in CENTRAL_REVIEW.items() if theirs is not None),
    else_=sa.null(),
)
TEXT, NUMBER, MOMENT = "text", "number", "moment"
#: What `$filter` may name, on every table (a repeat's entries by their submission's): name -> (SQL, kind).
FILTERS = {
    "received_at": (Submission.received_at, MOMENT),
    "started_at": (Submission.started_at, MOMENT),
    "finished_at": (Submission.finished_at, MOMENT),
    "group": (ResidentialGroup.code, TEXT),
    "review_status": (Submission.review_status, TEXT),
    "form_version": (Submission.form_version, TEXT),
    "submission_id": (Submission.id, NUMBER),
    "__system/submissionDate": (Submission.received_at, MOMENT),
    "__system/reviewState": (_REVIEW_STATE, TEXT),
    "__system/formVersion": (Submission.form_version, TEXT),
}
_LITERALS = {
    TEXT: (odata_ast.String,),
    NUMBER: (odata_ast.Integer,),
    MOMENT: (odata_ast.Date, odata_ast.DateTime),
}
_IDENTIFIER = re.compile(r"[^A-Za-z0-9_]")


class QueryError(Exception):
    """A request the feed cannot answer: the OData error's status, code, message and target."""

    def __init__(self, message: str, target: str, status: int = 400, code: str = "400"):
        super().__init__(message)
        self.message, self.target, self.status, self.code = message, target, status, code


@dataclass(frozen=True)
class Prop:
    name: str
    edm: str


@dataclass
class Table:
    """One entity set: its name, the repeat path its rows come from (none for the submissions), its
    properties in order and the questions whose answers fill them."""

    name: str
    type_name: str
    path: tuple[str, ...]
    props: list[Prop]
    questions: list[tuple[str, str, str]] = field(default_factory=list)  # (property, question, edm)
    parent_key: str | None = None

    @property
    def names(self) -> set[str]:
        return {prop.name for prop in self.props}


def property_name(name: str) -> str:
    """A question's name as an OData identifier (letters, digits and underscores)."""
    cleaned = _IDENTIFIER.sub("_", name)
    return cleaned if cleaned[:1].isalpha() or cleaned[:1] == "_" else f"_{cleaned}"


class Feed:
    """The tables of the household form for one scope (an export scope: survey_app.exports.queries)."""

    def __init__(self, scope, form_id: str = HOUSEHOLD_FORM):
        self.scope, self.form_id = scope, form_id
        self.namespace = f"org.opendatakit.user.{form_id}"
        sections = queries.answer_sections(scope)
        by_repeat = {section.get("repeat"): section for section in sections}
        id_edm = INT64 if scope.personal else STRING
        top = by_repeat.get(None, {"fields": []})
        root = Table(
            ROOT,
            ROOT,
            (),
            [
                Prop("__id", STRING),
                Prop("submission_id", INT64),
                Prop("household_id", id_edm),
                Prop("group", STRING),
                Prop("review_status", STRING),
                Prop("received_at", DATETIME),
                Prop("started_at", DATETIME),
                Prop("finished_at", DATETIME),
                Prop("form_version", STRING),
            ],
        )
        _add_questions(root, top["fields"])
        root.props += [Prop("__system", f"{SYSTEM_NAMESPACE}.metadata"), Prop("meta", f"{self.namespace}.meta")]
        self.tables: dict[str, Table] = {ROOT: root}
        for section in sections:
            repeat = section.get("repeat")
            if repeat is None:
                continue
            path = _path_of(repeat, by_repeat)
            parent = "-".join([ROOT, *path[:-1]])
            table = Table(
                ".".join([ROOT, *path]),
                property_name(repeat),
                path,
                [
                    Prop("__id", STRING),
                    Prop(f"__{parent}-id", STRING),
                    Prop("submission_id", INT64),
                    Prop("household_id", id_edm),
                    Prop("group", STRING),
                ],
                parent_key=f"__{parent}-id",
            )
            if path == (MEMBERS,):
                table.props.append(Prop("line_no", INT64))
                if not scope.personal:  # an exact age is for ward admins: everyone else gets the band
                    table.props.append(Prop("age_band", STRING))
            _add_questions(table, section["fields"])
            self.tables[table.name] = table

    # ------------------------------------------------------------ documents

    def service_document(self, metadata_url: str) -> dict:
        return {
            "@odata.context": metadata_url,
            "value": [{"kind": "EntitySet", "name": name, "url": name} for name in self.tables],
        }

    def metadata(self) -> str:
        """The CSDL XML of every table, as Central lays it out (its `__system` and `meta` types included)."""
        ns = self.namespace
        lines = [
            '<?xml version="1.0" encoding="UTF-8"?>',
            '<edmx:Edmx xmlns:edmx="http://docs.oasis-open.org/odata/ns/edmx" Version="4.0">',
            "  <edmx:DataServices>",
            f'    <Schema xmlns="http://docs.oasis-open.org/odata/ns/edm" Namespace="{SYSTEM_NAMESPACE}">',
            '      <ComplexType Name="metadata">',
            *(f'        <Property Name="{name}" Type="{edm}"/>' for name, edm in SYSTEM_PROPERTIES),
            "      </ComplexType>",
            "    </Schema>",
            f'    <Schema xmlns="http://docs.oasis-open.org/odata/ns/edm" Namespace={quoteattr(ns)}>',
        ]
        for table in self.tables.values():
            lines += [
                f"      <EntityType Name={quoteattr(table.type_name)}>",
                '        <Key><PropertyRef Name="__id"/></Key>',
                *(f"        <Property Name={quoteattr(p.name)} Type={quoteattr(p.edm)}/>" for p in table.props),
                *(
                    f"        <NavigationProperty Name={quoteattr(child.type_name)} "
                    f"Type={quoteattr(f'Collection({ns}.{child.type_name})')}/>"
                    for child in self.tables.values()
                    if child.path[:-1] == table.path and child.path
                ),
                "      </EntityType>",
            ]
        lines += [
            '      <ComplexType Name="meta">',
            '        <Property Name="instanceID" Type="Edm.String"/>',
            "      </ComplexType>",
            f"      <EntityContainer Name={quoteattr(property_name(self.form_id))}>",
        ]
        for table in self.tables.values():
            lines += [
                f"        <EntitySet Name={quoteattr(table.name)} EntityType={quoteattr(f'{ns}.{table.type_name}')}>",
                '          <Annotation Term="Org.OData.Capabilities.V1.ConformanceLevel" '
                'EnumMember="Org.OData.Capabilities.V1.ConformanceLevelType/Minimal"/>',
                '          <Annotation Term="Org.OData.Capabilities.V1.BatchSupported" Bool="false"/>',
                '          <Annotation Term="Org.OData.Capabilities.V1.CountRestrictions">'
                '<Record><PropertyValue Property="Countable" Bool="true"/></Record></Annotation>',
                '          <Annotation Term="Org.OData.Capabilities.V1.SortRestrictions">'
                '<Record><PropertyValue Property="Sortable" Bool="false"/></Record></Annotation>',
                '          <Annotation Term="Org.OData.Capabilities.V1.ExpandRestrictions">'
                '<Record><PropertyValue Property="Expandable" Bool="false"/></Record></Annotation>',
                "        </EntitySet>",
            ]
        lines += ["      </EntityContainer>", "    </Schema>", "  </edmx:DataServices>", "</edmx:Edmx>", ""]
        return "\n".join(lines)

    # ------------------------------------------------------------ rows

    def statement(self, where=None):
        """The scope's household-form submissions, oldest first, with what a row needs."""
        statement = (
            sa.select(
                Submission.id,
                Submission.uuid,
                Submission.household_id,
                Submission.residential_group_id,
                Submission.review_status,
                Submission.received_at,
                Submission.started_at,
                Submission.finished_at,
                Submission.reviewed_at,
                Submission.form_version,
                Submission.surveyor_id,
                Submission.version,
                Submission.answers,
            )
            .join(ResidentialGroup, ResidentialGroup.id == Submission.residential_group_id)
            .where(*queries.scoped(Submission, self.scope, Submission.residential_group_id), Submission.form_id == self.form_id)
            .order_by(Submission.id)
        )
        return statement if where is None else statement.where(where)

    def read(self, table: Table, *, where=None, skip: int = 0, limit: int, count: bool = False):
        """(rows, more, total): at most `limit` rows after `skip`, whether more follow, and the count of
        every row the filter keeps (None unless asked)."""
        statement = self.statement(where)
        if not table.path:
            total = queries.count(statement) if count else None
            found = list(queries.stream(statement.offset(skip).limit(limit + 1), queries.YIELD_PER_ANSWERS))
            rows = [self.submission_row(table, row) for row in found[:limit]]
            return rows, len(found) > limit, total
        rows, seen, more = [], 0, False
        for row in queries.stream(statement, queries.YIELD_PER_ANSWERS):
            for steps, entry in queries.repeat_entries(row.answers, table.path):
                if seen >= skip + limit:
                    more = True
                    if not count:
                        return rows, more, None
                elif seen >= skip:
                    rows.append(self.entry_row(table, row, steps, entry))
                seen += 1
        return rows, more, seen if count else None

    def _refs(self):
        cache = self.scope.cache
        if "odata_refs" not in cache:
            cache["odata_refs"] = (
                self.scope.ref(queries.HOUSEHOLD_REF),
                self.scope.ref(queries.USER_REF),
                queries.group_codes(self.scope),
            )
        return cache["odata_refs"]

    def submission_row(self, table: Table, row) -> dict:
        household, user, codes = self._refs()
        instance = instance_id(row.uuid)
        answers = row.answers if isinstance(row.answers, dict) else {}
        found = {
            "__id": instance,
            "submission_id": row.id,
            "household_id": household(row.household_id),
            "group": codes.get(row.residential_group_id),
            "review_status": row.review_status.value if row.review_status else None,
            "received_at": moment(row.received_at),
            "started_at": moment(row.started_at),
            "finished_at": moment(row.finished_at),
            "form_version": row.form_version,
        }
        for prop, question, edm in table.questions:
            found[prop] = typed(edm, answers.get(question))
        submitter = user(row.surveyor_id)
        found["__system"] = {
            "submissionDate": moment(row.received_at),
            "updatedAt": moment(row.reviewed_at),
            "submitterId": None if submitter is None else str(submitter),
            "reviewState": CENTRAL_REVIEW.get(row.review_status),
            "formVersion": row.form_version,
            "edits": max(0, (row.version or 1) - 1),
        }
        found["meta"] = {"instanceID": instance}
        return found

    def entry_row(self, table: Table, row, steps, entry: dict) -> dict:
        household, _user, codes = self._refs()
        parent = instance_id(row.uuid) if len(steps) == 1 else queries.entry_key(row.id, steps[:-1])
        found = {
            "__id": queries.entry_key(row.id, steps),
            table.parent_key: parent,
            "submission_id": row.id,
            "household_id": household(row.household_id),
            "group": codes.get(row.residential_group_id),
        }
        if table.path == (MEMBERS,):
            found["line_no"] = steps[-1][1] + 1
            if not self.scope.personal:
                answers = row.answers if isinstance(row.answers, dict) else {}
                found["age_band"] = queries.age_band(entry.get("b1_birth_year"), survey_year(answers, self.scope.survey_year))
        for prop, question, edm in table.questions:
            found[prop] = typed(edm, entry.get(question))
        return found

    # ------------------------------------------------------------ query options

    def where(self, table: Table, text: str | None):
        """The SQL condition of a `$filter`, or QueryError naming what it cannot read."""
        if text is None or not text.strip():
            return None
        try:
            tree = ODataParser().parse(ODataLexer().tokenize(text))
            return _Filter(table).visit(tree)
        except QueryError:
            raise
        except odata_errors.InvalidFieldException as unknown:
            raise _unknown_field(table, unknown.field_name) from None
        except (odata_errors.ODataException, NotImplementedError, TypeError) as wrong:
            raise QueryError(_("$filter cannot be read: %(reason)s", reason=str(wrong)), "$filter") from None

    def selection(self, table: Table, text: str | None) -> list[str] | None:
        """The properties a `$select` keeps (a `__system/...` or `meta/...` path keeps that one), or None."""
        if text is None or not text.strip():
            return None
        chosen = []
        for item in (part.strip() for part in text.split(",")):
            if item == "*":
                return None
            head, _slash, tail = item.partition("/")
            known = head in table.names and (
                not tail or (head == "__system" and tail in dict(SYSTEM_PROPERTIES)) or (head == "meta" and tail == "instanceID")
            )
            if not known:
                raise QueryError(
                    _("$select names %(field)s, which is not a field of %(table)s.", field=item, table=table.name),
                    "$select",
                )
            chosen.append(item)
        return chosen


def select_fields(row: dict, chosen: list[str] | None) -> dict:
    if chosen is None:
        return row
    kept: dict = {}
    for item in chosen:
        head, _slash, tail = item.partition("/")
        if not tail:
            kept[head] = row.get(head)
        elif isinstance(row.get(head), dict):
            kept.setdefault(head, {})[tail] = row[head].get(tail)
    return kept


class _Filter(AstToSqlAlchemyCoreVisitor):
    """odata-query's SQLAlchemy Core visitor over the names of FILTERS: the literals compared with a
    date and time are read in the ward's calendar (a date is its local midnight)."""

    def __init__(self, table: Table):
        self.table = table

    def _name(self, node) -> str | None:
        if isinstance(node, odata_ast.Identifier):
            return node.name
        if isinstance(node, odata_ast.Attribute):
            owner = self._name(node.owner)
            return None if owner is None else f"{owner}/{node.attr}"
        return None

    def _column(self, name: str):
        if name not in FILTERS:
            raise _unknown_field(self.table, name)
        return FILTERS[name][0]

    def visit_Identifier(self, node):
        return self._column(node.name)

    def visit_Attribute(self, node):
        return self._column(self._name(node) or str(node))

    def visit_Compare(self, node):
        for side, other in ((node.left, node.right), (node.right, node.left)):
            name = self._name(side)
            if name is not None:
                self._check_literal(name, other)
        left, right = self.visit(node.left), self.visit(node.right)
        left, right = _as_moment(left, right), _as_moment(right, left)
        return self.visit(node.comparator)(left, right)

    def _check_literal(self, name: str, other) -> None:
        if name not in FILTERS:
            raise _unknown_field(self.table, name)
        values = other.val if isinstance(other, odata_ast.List) else [other]
        allowed = (*_LITERALS[FILTERS[name][1]], odata_ast.Null)
        for value in values:
            if isinstance(value, (odata_ast.Identifier, odata_ast.Attribute, odata_ast.Call)):
                continue
            if not isinstance(value, allowed):
                raise QueryError(
                    _("$filter compares %(field)s with %(value)s, a value of another type.", field=name, value=value.val),
                    "$filter",
                )


def _as_moment(value, other):
    """A date or date-time literal compared with a UTC date-time column, as that column's bind."""
    if not isinstance(value, sa.sql.elements.BindParameter) or not isinstance(getattr(other, "type", None), UTCDateTime):
        return value
    found = value.value
    if isinstance(found, datetime):
        found = found if found.tzinfo else found.replace(tzinfo=timezone.utc)
    elif isinstance(found, date):
        found = datetime.combine(found, time(), local_zone())
    else:
        return value
    return sa.bindparam(None, found, type_=UTCDateTime())


def _unknown_field(table: Table, name: str) -> QueryError:
    if name in table.names:
        message = _(
            "$filter cannot use %(field)s; it can use: %(fields)s.", field=name, fields=", ".join(sorted(FILTERS, key=str.lower))
        )
    else:
        message = _(
            "$filter names %(field)s, which is not a field of %(table)s; it can use: %(fields)s.",
            field=name,
            table=table.name,
            fields=", ".join(sorted(FILTERS, key=str.lower)),
        )
    return QueryError(message, "$filter")


def _add_questions(table: Table, fields: list[dict]) -> None:
    taken = table.names | {"__system", "meta"}
    for item in fields:
        name = property_name(item["name"])
        if name in taken:
            continue
        taken.add(name)
        edm = _EDM_OF_QUESTION.get(item["type"], STRING)
        table.props.append(Prop(name, edm))
        table.questions.append((name, item["name"], edm))


def _path_of(repeat: str, by_repeat: dict) -> tuple[str, ...]:
    path, at = [], repeat
    while at is not None and at not in path:
        path.insert(0, at)
        at = (by_repeat.get(at) or {}).get("parent")
    return tuple(path)


def instance_id(uuid: str | None) -> str | None:
    """The submission's instanceID as Central writes it ("uuid:...")."""
    if uuid is None:
        return None
    return uuid if uuid.startswith("uuid:") else f"uuid:{uuid}"


def moment(value: datetime | None) -> str | None:
    if value is None:
        return None
    return value.astimezone(timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def survey_year(answers: dict, default: int | None) -> int | None:
    year = answers.get("survey_year")
    if isinstance(year, str) and year.isdigit():
        year = int(year)
    return year if isinstance(year, int) and not isinstance(year, bool) else default


def typed(edm: str, value):
    """A stored answer as a value of the property's type (None when it cannot be one)."""
    if value is None:
        return None
    if edm == INT64:
        if isinstance(value, bool):
            return None
        if isinstance(value, int):
            return value
        if isinstance(value, float):
            return int(value) if value.is_integer() else None
        return int(value) if isinstance(value, str) and re.fullmatch(r"-?\d+", value.strip()) else None
    if edm == DECIMAL:
        if isinstance(value, bool):
            return None
        if isinstance(value, (int, float)):
            return value
        try:
            return float(value) if isinstance(value, str) else None
        except ValueError:
            return None
    if edm == DATE:
        try:
            return date.fromisoformat(str(value)[:10]).isoformat()
        except ValueError:
            return None
    if edm == DATETIME:
        try:
            found = datetime.fromisoformat(str(value))
        except ValueError:
            return None
        return moment(found if found.tzinfo else found.replace(tzinfo=local_zone()))
    if isinstance(value, list):
        return " ".join(str(item) for item in value)
    if isinstance(value, dict):
        return json.dumps(value, ensure_ascii=False, sort_keys=True)
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)
