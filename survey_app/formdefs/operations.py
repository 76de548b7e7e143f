"""Uploading, publishing and discarding form versions (flush only; the request commits)."""
from __future__ import annotations

import hashlib

from survey_app import uploads
from survey_app.audit.operations import record, record_refusal
from survey_app.collection.models import IllegalTransition
from survey_app.extensions import db, take_write_lock, utcnow
from survey_app.formdefs import queries
from survey_app.formdefs.models import FormStatus, FormVersion
from survey_app.formdefs.parser import LoadedForm, load_form
from survey_app.formdefs.sheets import FormError


def _clash(form_id: str, version: str) -> FormError:
    return FormError("clash", "settings", 2, "version", {"form_id": form_id, "version": version})


def upload(ward_id: int, user, filename: str, data: bytes) -> tuple[FormVersion | None, LoadedForm]:
    """Check an uploaded workbook; if it loads, keep it as a draft (replacing a draft of that version).

    Returns (the draft, or None, the load result with its errors). Published forms are untouched.
    The workbook is parsed first; SQLite's write lock is taken only for the checks against the
    ward's versions and the insert (the upload view is `parses_upload`).
    """
    loaded = load_form(data, filename)  # parsed and checked before the write lock is taken
    if not loaded.ok:
        return None, loaded
    take_write_lock()
    schema = loaded.schema
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
    record("form.uploaded", user=user, ward_id=ward_id, object_type="form_version", object_id=draft.id,
           detail={"form_id": draft.form_id, "version": draft.version, "replaced_draft": replaced})
    return draft, loaded


def record_refused(user, ward_id: int, filename: str, loaded: LoadedForm) -> None:
    """Log a refused upload on its own (the request is rolled back): the problems' codes and the
    file name's length and extension, nothing the file holds."""
    codes = sorted({error.code for error in loaded.errors})
    record_refusal("form.upload_refused", user=user, ward_id=ward_id,
                   detail={"errors": len(loaded.errors), "codes": codes[:20], "file": uploads.file_facts(filename or "")})


def publish(draft: FormVersion, user) -> FormError | None:
    """Make a draft the ward's current version; earlier versions stay readable. An error if refused."""
    if draft.status != FormStatus.DRAFT:
        raise IllegalTransition(f"form version {draft.id} is not a draft")
    if queries.version_taken(draft.ward_id, draft.form_id, draft.version):
        return _clash(draft.form_id, draft.version)
    draft.publish(getattr(user, "id", None))
    db.session.flush()
    record("form.published", user=user, ward_id=draft.ward_id, object_type="form_version", object_id=draft.id,
           detail={"form_id": draft.form_id, "version": draft.version})
    return None


def discard(draft: FormVersion, user) -> None:
    """Delete a draft nobody has used."""
    if draft.status != FormStatus.DRAFT:
        raise IllegalTransition(f"form version {draft.id} is not a draft")
    record("form.discarded", user=user, ward_id=draft.ward_id, object_type="form_version", object_id=draft.id,
           detail={"form_id": draft.form_id, "version": draft.version})
    db.session.delete(draft)
    db.session.flush()
