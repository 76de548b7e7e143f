"""Uploading, publishing and discarding form versions (flush only; the request commits)."""

from __future__ import annotations

import hashlib

import sqlalchemy as sa
from flask import current_app

from survey_app import uploads
from survey_app.audit.operations import record, record_refusal
from survey_app.collection import entities
from survey_app.extensions import IllegalTransition, db, take_write_lock, utcnow
from survey_app.formdefs import attachments as files
from survey_app.formdefs import queries
from survey_app.formdefs.models import FormAttachment, FormStatus, FormVersion
from survey_app.formdefs.parser import LoadedForm, load_form
from survey_app.formdefs.sheets import FormError


def _clash(form_id: str, version: str) -> FormError:
    return FormError("clash", "settings", 2, "version", {"form_id": form_id, "version": version})


def max_attachment_bytes() -> int:
    """FORM_ATTACHMENT_MAX_MB: the largest file that may be attached beside a form."""
    return int(current_app.config.get("FORM_ATTACHMENT_MAX_MB", 10)) * 1024 * 1024


def attached_files(draft: FormVersion) -> dict[str, bytes]:
    """The files attached to a version so far, by name (read back from outside the database)."""
    rows = db.session.execute(sa.select(FormAttachment).where(FormAttachment.form_version_id == draft.id)).scalars()
    found = {}
    for row in rows:
        path = files.store_path(current_app.instance_path, row.sha256)
        if path.exists():
            found[row.name] = path.read_bytes()
    return found


def attachment_rows(version_id: int) -> list[FormAttachment]:
    return list(
        db.session.execute(
            sa.select(FormAttachment).where(FormAttachment.form_version_id == version_id).order_by(FormAttachment.name)
        ).scalars()
    )


def missing_files(row: FormVersion) -> list[str]:
    """Files the version's form refers to that are not attached yet (it cannot be published before)."""
    attached = {a.name for a in attachment_rows(row.id)} if row.id else set()
    return [
        name for name, kind in (row.schema or {}).get("files", {}).items() if name not in attached and kind != "entity"
    ]  # an entity list's file is built by the server


def upload(
    ward_id: int, user, filename: str, data: bytes, attachments: dict[str, bytes] | None = None
) -> tuple[FormVersion | None, LoadedForm]:
    """Check an uploaded workbook and its attached files; if it loads, keep it as a draft (replacing a
    draft of that version, whose attached files stay unless a file of the same name replaces them).

    Returns (the draft, or None, the load result with its errors). Published forms are untouched.
    The workbook is parsed first; SQLite's write lock is taken only for the checks against the
    ward's versions and the insert (the upload view is `parses_upload`).
    """
    limit = max_attachment_bytes()
    attachments = dict(attachments or {})
    lists = entities.list_names(ward_id)  # a form naming <list>.csv of one gets the list's rows from the server
    loaded = load_form(data, filename, attachments, max_attachment_bytes=limit, entity_lists=lists)  # before the write lock
    if not loaded.ok:
        return None, loaded
    schema = loaded.schema
    earlier = queries.find_upload(ward_id, schema.form_id, schema.version)
    if earlier is not None and earlier.status == FormStatus.DRAFT:
        kept = {name: content for name, content in attached_files(earlier).items() if name not in attachments}
        if kept:
            attachments.update(kept)
            loaded = load_form(data, filename, attachments, max_attachment_bytes=limit, entity_lists=lists)
            if not loaded.ok:
                return None, loaded
            schema = loaded.schema
    take_write_lock()
    if queries.version_taken(ward_id, schema.form_id, schema.version):
        loaded.errors.append(_clash(schema.form_id, schema.version))
        return None, loaded
    draft = queries.find_upload(ward_id, schema.form_id, schema.version)
    replaced = draft is not None
    if draft is None:
        draft = FormVersion(ward_id=ward_id, form_id=schema.form_id, version=schema.version)
        db.session.add(draft)
    draft.title = schema.title[:255]
    draft.filename = (filename or "form.xlsx")[:255]
    draft.source = data
    draft.source_sha256 = hashlib.sha256(data).hexdigest()
    draft.schema = schema.to_dict()
    draft.xform = loaded.xform
    draft.warnings = loaded.warnings
    draft.uploaded_by_id = getattr(user, "id", None)
    draft.uploaded_at = utcnow()
    db.session.flush()
    _keep_attachments(draft, loaded)
    record(
        "form.uploaded",
        user=user,
        ward_id=ward_id,
        object_type="form_version",
        object_id=draft.id,
        detail={
            "form_id": draft.form_id,
            "version": draft.version,
            "replaced_draft": replaced,
            "attachments": len(loaded.attachments),
            "missing": len(loaded.missing),
        },
    )
    return draft, loaded


def _keep_attachments(draft: FormVersion, loaded: LoadedForm) -> None:
    """The draft's attachment rows are the files its form uses (bytes written outside the database)."""
    db.session.execute(sa.delete(FormAttachment).where(FormAttachment.form_version_id == draft.id))
    for attachment in loaded.attachments.values():
        files.store(current_app.instance_path, attachment)
        db.session.add(
            FormAttachment(
                form_version_id=draft.id,
                name=attachment.name,
                kind=attachment.kind,
                content_type=attachment.content_type,
                sha256=attachment.sha256,
                size=attachment.size,
            )
        )
    db.session.flush()


def attach(draft: FormVersion, user, new_files: dict[str, bytes]) -> LoadedForm:
    """Attach more files to a draft: its workbook is checked again with them (errors name the file)."""
    if draft.status != FormStatus.DRAFT:
        raise IllegalTransition(f"form version {draft.id} is not a draft")
    combined = {**attached_files(draft), **new_files}
    loaded = load_form(
        draft.source,
        draft.filename,
        combined,
        max_attachment_bytes=max_attachment_bytes(),
        entity_lists=entities.list_names(draft.ward_id),
    )
    if not loaded.ok:
        return loaded
    take_write_lock()
    draft.schema = loaded.schema.to_dict()
    draft.xform = loaded.xform
    draft.warnings = loaded.warnings
    draft.uploaded_at = utcnow()  # a new schema: a new key of queries.as_published's cache
    _keep_attachments(draft, loaded)
    record(
        "form.attached",
        user=user,
        ward_id=draft.ward_id,
        object_type="form_version",
        object_id=draft.id,
        detail={"attachments": len(loaded.attachments), "missing": len(loaded.missing)},
    )
    return loaded


def record_refused(user, ward_id: int, filename: str, loaded: LoadedForm) -> None:
    """Log a refused upload on its own (the request is rolled back): the problems' codes and the
    file name's length and extension, nothing the file holds."""
    codes = sorted({error.code for error in loaded.errors})
    record_refusal(
        "form.upload_refused",
        user=user,
        ward_id=ward_id,
        detail={"errors": len(loaded.errors), "codes": codes[:20], "file": uploads.file_facts(filename or "")},
    )


def publish(draft: FormVersion, user) -> FormError | None:
    """Make a draft the ward's current version; earlier versions stay readable. An error if refused."""
    if draft.status != FormStatus.DRAFT:
        raise IllegalTransition(f"form version {draft.id} is not a draft")
    if queries.version_taken(draft.ward_id, draft.form_id, draft.version):
        return _clash(draft.form_id, draft.version)
    missing = missing_files(draft)
    if missing:  # as ODK Central: a form is published only with every file it uses
        return FormError("files_missing", None, None, None, {"files": ", ".join(missing)})
    draft.publish(getattr(user, "id", None))
    entities.ensure_lists(draft.ward_id, (draft.schema or {}).get("entities") or [])  # later forms may read them
    db.session.flush()
    record(
        "form.published",
        user=user,
        ward_id=draft.ward_id,
        object_type="form_version",
        object_id=draft.id,
        detail={"form_id": draft.form_id, "version": draft.version},
    )
    return None


def discard(draft: FormVersion, user) -> None:
    """Delete a draft nobody has used."""
    if draft.status != FormStatus.DRAFT:
        raise IllegalTransition(f"form version {draft.id} is not a draft")
    record(
        "form.discarded",
        user=user,
        ward_id=draft.ward_id,
        object_type="form_version",
        object_id=draft.id,
        detail={"form_id": draft.form_id, "version": draft.version},
    )
    db.session.execute(sa.delete(FormAttachment).where(FormAttachment.form_version_id == draft.id))
    db.session.delete(draft)
    db.session.flush()
