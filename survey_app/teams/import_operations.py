"""Imports in two steps: stage a checked preview, then save every row or none on confirmation."""

from __future__ import annotations

import secrets
from collections import Counter

import sqlalchemy as sa

from survey_app import uploads
from survey_app.accounts.models import Role, User
from survey_app.accounts.operations import create_user
from survey_app.audit.operations import record, record_refusal
from survey_app.collection.models import Household, HouseholdStatus, Person
from survey_app.extensions import db, take_write_lock, utcnow
from survey_app.teams import import_rows, imports, queries
from survey_app.teams.models import ImportBatch, ImportKind, ImportStatus, StandingMember, StandingTeam
from survey_app.wards.models import ResidentialGroup, Ward


class ImportChanged(Exception):
    """The ward's data changed between the check and the write: the whole import is undone."""


class ImportClosed(Exception):
    """The batch was confirmed or discarded by another request meanwhile."""


def read_upload(kind: ImportKind, table_file: tuple[str, bytes] | None, boundary_file: tuple[str, bytes] | None = None) -> dict:
    """A preview of the uploaded file(s) before the row checks; file-level problems included."""
    uploaded = list(filter(None, (table_file, boundary_file)))
    names = ", ".join(name for name, _ in uploaded)
    table, file_errors, limits = None, [], []
    if table_file is not None:
        columns, required, max_rows = import_rows.KINDS[kind.value]
        try:
            table = imports.read_table(table_file[1], table_file[0], columns, required, max_rows)
        except (imports.ImportFileError, uploads.UploadRefused) as error:
            file_errors.append(str(error))
            limits.append(getattr(error, "limit", None))
    preview = import_rows.new_preview(kind.value, names, table, file_errors)
    preview["files"] = [uploads.file_facts(name) for name, _ in uploaded]
    if boundary_file is not None:
        try:
            preview["boundaries"], preview["boundary_errors"] = imports.read_boundaries(boundary_file[1])
        except (imports.ImportFileError, uploads.UploadRefused) as error:
            preview["file_errors"].append(str(error))
            limits.append(getattr(error, "limit", None))
    if any(limits):  # which upload limit refused the file, for the audit log
        preview["limits"] = [code for code in limits if code]
    return preview


def context(preview: dict, ward_id: int) -> import_rows.ImportContext:
    """What the row checks read of the ward (plain values: two contexts compare equal if nothing changed)."""
    if preview["kind"] == ImportKind.GROUPS.value:
        return queries.group_import_context(ward_id)
    if preview["kind"] == ImportKind.HOUSEHOLDS.value:
        codes = {raw.get("group_code", "") for _, raw in preview["table"]} - {""}
        return queries.household_import_context(ward_id, codes)
    phones = [p for p in (import_rows.normalize_phone(raw.get("phone", "")) for _, raw in preview["table"]) if p]
    return queries.people_import_context(ward_id, phones)


def check(preview: dict, ward_id: int, seen: import_rows.ImportContext | None = None) -> dict:
    """Run the row checks against the ward as it is now, or as `seen` (households: also the plan to write)."""
    seen = context(preview, ward_id) if seen is None else seen
    if preview["kind"] == ImportKind.GROUPS.value:
        return import_rows.check_groups(preview, seen)
    if preview["kind"] == ImportKind.HOUSEHOLDS.value:
        return import_rows.check_households(preview, seen)
    return import_rows.check_people(preview, seen)


def _stored(preview: dict) -> dict:
    """The preview as kept in the batch: without the household write plan (rebuilt on confirmation)."""
    return {key: value for key, value in preview.items() if key != "plan"}


def stage(ward: Ward, kind: ImportKind, preview: dict, user: User, *, checked: bool = False) -> ImportBatch:
    """Keep a checked preview until the admin confirms it (nothing of the ward's data changes)."""
    if not checked:
        preview = check(preview, ward.id)
    batch = ImportBatch(
        ward_id=ward.id,
        kind=kind,
        created_by_id=user.id,
        filename=preview["filename"][:255],
        encoding=preview["encoding"],
        payload=_stored(preview),
        error_count=import_rows.error_count(preview),
    )
    db.session.add(batch)
    db.session.flush()
    return batch


def confirm(batch: ImportBatch, ward: Ward) -> bool:
    """Save every row of a clean batch (checked again now); False, saving nothing, if errors appeared.

    The rows are checked before SQLite's write lock is taken (the check is most of the work); under
    the lock the ward's data the check read is read again, and only if it changed meanwhile are the
    rows checked again. Raises ImportClosed if another request confirmed or discarded the batch first.
    """
    seen = context(batch.payload, ward.id)
    preview = check(dict(batch.payload), ward.id, seen)
    take_write_lock()
    db.session.refresh(batch, ["status"])
    if batch.status != ImportStatus.PENDING:
        raise ImportClosed(batch.status.value)
    if context(batch.payload, ward.id) != seen:
        preview = check(dict(batch.payload), ward.id)
    plan = preview.pop("plan", None)
    batch.payload, batch.error_count = preview, import_rows.error_count(preview)
    if batch.error_count or not preview["rows"]:
        db.session.flush()
        return False
    if batch.kind == ImportKind.HOUSEHOLDS:
        counts = _save_households(ward, plan, preview["households"])
    else:
        rows = [row["values"] | {"action": row["action"]} for row in preview["rows"]]
        counts = (_save_groups if batch.kind == ImportKind.GROUPS else _save_people)(ward, rows)
    batch.status, batch.confirmed_at = ImportStatus.CONFIRMED, utcnow()
    db.session.flush()
    record(
        "team.import_confirmed",
        ward_id=ward.id,
        object_type="import_batch",
        object_id=batch.id,
        detail={"kind": batch.kind.value, **counts},
    )
    return True


def record_refused(kind: ImportKind, preview: dict, stage_name: str, batch_id: int | None = None, reason: str = "errors") -> None:
    """Log a refused upload or confirmation on its own (the request's work is rolled back): the
    kind, how many errors, the files' name lengths and extensions; no value from the file."""
    detail = {
        "kind": kind.value,
        "stage": stage_name,
        "reason": reason,
        "errors": import_rows.error_count(preview),
        "files": list(preview.get("files", [])),
    }
    if preview.get("limits"):
        detail["limits"] = list(preview["limits"])
    record_refusal("team.import_refused", object_type="import_batch" if batch_id else None, object_id=batch_id, detail=detail)


def _save_groups(ward: Ward, rows: list[dict]) -> dict:
    in_ward = sa.select(ResidentialGroup).where(ResidentialGroup.ward_id == ward.id)
    existing = {g.code: g for g in db.session.scalars(in_ward)}
    created = updated = 0
    for values in rows:
        group = existing.get(values["code"])
        if group is None:
            group = ResidentialGroup(ward_id=ward.id, code=values["code"], self_survey_token=secrets.token_urlsafe(24))
            db.session.add(group)
            created += 1
        else:
            updated += 1
        for field in ("name", "expected_households", "venue_name", "boundary"):
            if field in values:
                setattr(group, field, values[field])
        if "lat" in values:
            group.centroid_lat, group.centroid_lon = values["lat"], values["lon"]
    db.session.flush()
    return {"created": created, "updated": updated}


def _save_people(ward: Ward, rows: list[dict]) -> dict:
    standing = dict(
        db.session.execute(sa.select(StandingTeam.number, StandingTeam.id).where(StandingTeam.ward_id == ward.id)).all()
    )
    members = 0
    for values in rows:
        user = create_user(
            username=values["phone"],
            full_name=values["full_name"],
            role=Role(values["account_role"]),
            ward=ward,
            phone=values["phone"],
            office=values["office"],
        )
        if values["standing_team"] is not None:
            db.session.add(
                StandingMember(
                    ward_id=ward.id,
                    user_id=user.id,
                    is_leader=values["leader"],
                    standing_team_id=standing[values["standing_team"]],
                )
            )
            members += 1
    db.session.flush()
    roles = Counter(values["account_role"] for values in rows)
    return {
        "created": len(rows),
        "standing_members": members,
        "mobilised": len(rows) - members,
        "roles": {role.value: roles[role.value] for role in Role if roles[role.value]},
    }


#: Rows per statement when deleting by id (well under SQLite's limit on bound parameters).
_CHUNK = 500


def _save_households(ward: Ward, plan: dict, summary: dict) -> dict:
    """Write the plan of a checked household list: inserts, updates by id and deletions in bulk."""
    if plan["create"]:
        now = utcnow()
        db.session.execute(
            sa.insert(Household),
            [
                {
                    "ward_id": ward.id,
                    "residential_group_id": values["group_id"],
                    "list_key": values["list_key"],
                    "address": values["address"],
                    "head_name": values["head_name"],
                    "phone": values["phone"],
                    "member_count": values["member_count"],
                    "status": HouseholdStatus.NOT_VISITED,
                    "registered_by_id": None,
                    "created_at": now,
                }
                for values in plan["create"]
            ],
        )
    if plan["update"]:
        db.session.execute(sa.update(Household), plan["update"])
    deleted = 0
    for start in range(0, len(plan["delete"]), _CHUNK):
        ids = plan["delete"][start : start + _CHUNK]
        db.session.execute(
            sa.delete(Person).where(Person.household_id.in_(ids), Person.submission_id.is_(None)),
            execution_options={"synchronize_session": False},
        )
        result = db.session.execute(
            sa.delete(Household).where(
                Household.id.in_(ids),
                Household.ward_id == ward.id,
                Household.list_key.is_not(None),
                Household.status == HouseholdStatus.NOT_VISITED,
            ),
            execution_options={"synchronize_session": False},
        )
        if result.rowcount != len(ids):
            raise ImportChanged("a household to delete was visited meanwhile")
        deleted += result.rowcount
    db.session.flush()
    totals = summary["totals"]
    return {
        "groups": len(summary["groups"]),
        "created": len(plan["create"]),
        "updated": len(plan["update"]),
        "unchanged": totals["unchanged"],
        "deleted": deleted,
        "kept": totals["kept"],
    }


def discard(batch: ImportBatch) -> None:
    batch.status = ImportStatus.DISCARDED
    db.session.flush()
