"""Which form a ward uses: its own published uploads first, else the shipped forms.

Other packages call `current_form`, `get_form`, `form_versions` and `merged_export_layout`; each
form comes back as a PublishedForm (`.form_id`, `.version`, `.schema` a FormSchema, `.xform`).
"""

from __future__ import annotations

import sqlalchemy as sa

from survey_app.extensions import db
from survey_app.formdefs import shipped
from survey_app.formdefs.layout import export_layout, merge_layouts
from survey_app.formdefs.models import FormStatus, FormVersion
from survey_app.formdefs.schema import FormSchema
from survey_app.formdefs.shipped import PublishedForm

#: Statuses whose schema stays readable for the submissions made with them.
READABLE = (FormStatus.PUBLISHED, FormStatus.RETIRED)
_ROW_CACHE: dict[tuple[int, str], PublishedForm] = {}


def _ward_clause(ward_id: int | None):
    return FormVersion.ward_id.is_(None) if ward_id is None else FormVersion.ward_id == ward_id


def as_published(row: FormVersion) -> PublishedForm:
    """The uploaded version as a PublishedForm (its parsed schema is cached by content)."""
    key = (row.id, row.source_sha256, row.uploaded_at)  # attaching files to a draft changes its schema
    form = _ROW_CACHE.get(key)
    if form is None:
        schema = FormSchema.from_dict(row.schema)
        form = PublishedForm(row.form_id, row.version, row.title, schema, row.xform, "ward", row.id)
        _ROW_CACHE[key] = form
    return form


def current_form(ward_id: int | None, form_id: str) -> PublishedForm | None:
    """The version the ward's phones should use now: its latest publication, else the shipped one."""
    row = db.session.execute(
        sa.select(FormVersion)
        .where(_ward_clause(ward_id), FormVersion.form_id == form_id, FormVersion.status == FormStatus.PUBLISHED)
        .order_by(FormVersion.published_at.desc(), FormVersion.id.desc())
        .limit(1)
    ).scalar_one_or_none()
    return as_published(row) if row is not None else shipped.current(form_id)


def get_form(ward_id: int | None, form_id: str, version: str) -> PublishedForm | None:
    """One version the ward has used (published or retired upload, or shipped); None if unknown."""
    row = db.session.execute(
        sa.select(FormVersion).where(
            _ward_clause(ward_id),
            FormVersion.form_id == form_id,
            FormVersion.version == version,
            FormVersion.status.in_(READABLE),
        )
    ).scalar_one_or_none()
    return as_published(row) if row is not None else shipped.get(form_id, version)


def form_versions(ward_id: int | None, form_id: str) -> list[PublishedForm]:
    """Every version of a form the ward may have answers for, oldest first (shipped ones first)."""
    rows = db.session.execute(
        sa.select(FormVersion)
        .where(_ward_clause(ward_id), FormVersion.form_id == form_id, FormVersion.status.in_(READABLE))
        .order_by(FormVersion.published_at, FormVersion.id)
    ).scalars()
    return shipped.all_versions(form_id) + [as_published(row) for row in rows]


def merged_export_layout(ward_id: int | None, form_id: str) -> dict | None:
    """The export layout of a form merged over all its versions (see layout.merge_layouts)."""
    versions = form_versions(ward_id, form_id)
    return merge_layouts([export_layout(form.schema) for form in versions]) if versions else None


def ward_uploads(ward_id: int) -> list[FormVersion]:
    """The ward's uploaded versions, newest first, for the admin's list."""
    return list(
        db.session.execute(
            sa.select(FormVersion)
            .where(FormVersion.ward_id == ward_id)
            .order_by(FormVersion.form_id, FormVersion.uploaded_at.desc(), FormVersion.id.desc())
        ).scalars()
    )


def find_upload(ward_id: int, form_id: str, version: str) -> FormVersion | None:
    return db.session.execute(
        sa.select(FormVersion).where(
            FormVersion.ward_id == ward_id, FormVersion.form_id == form_id, FormVersion.version == version
        )
    ).scalar_one_or_none()


def version_taken(ward_id: int, form_id: str, version: str) -> bool:
    """Whether that version is already in use: published or retired by the ward, or shipped."""
    row = find_upload(ward_id, form_id, version)
    return (row is not None and row.status in READABLE) or shipped.get(form_id, version) is not None
