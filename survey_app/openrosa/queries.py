"""What reads OpenRosa's tables and what Collect is served: a member's devices, the form, its files."""

from __future__ import annotations

import csv
import hashlib
import io
import re
from dataclasses import dataclass
from xml.sax.saxutils import escape

import sqlalchemy as sa
from flask import current_app

from survey_app.extensions import db
from survey_app.formdefs.ids import HOUSEHOLD_FORM
from survey_app.openrosa.models import CollectDevice, OpenRosaInstance

#: The bind of a question the web phone pre-fills and Collect cannot: Collect's surveyor types it.
_PREFILLED = ("a1_group",)


def known_device(token: str) -> CollectDevice | None:
    """The device of a token, live or not (to say why it is refused)."""
    from survey_app import tokens

    return tokens.find(CollectDevice, token)


def devices_of(user_id: int) -> list[CollectDevice]:
    """A member's Collect devices, live ones first, newest first."""
    return list(
        db.session.execute(
            sa.select(CollectDevice)
            .where(CollectDevice.user_id == user_id)
            .order_by(CollectDevice.revoked_at.is_not(None), CollectDevice.id.desc())
        ).scalars()
    )


def live_device_count(user_ids: list[int]) -> dict[int, int]:
    if not user_ids:
        return {}
    return dict(
        db.session.execute(
            sa.select(CollectDevice.user_id, sa.func.count())
            .where(CollectDevice.user_id.in_(user_ids), CollectDevice.revoked_at.is_(None))
            .group_by(CollectDevice.user_id)
        ).all()
    )


def instances_of(ward_id: int, record_uuid: str) -> list[OpenRosaInstance]:
    return list(
        db.session.execute(
            sa.select(OpenRosaInstance)
            .where(OpenRosaInstance.ward_id == ward_id, OpenRosaInstance.record_uuid == record_uuid)
            .order_by(OpenRosaInstance.id)
        ).scalars()
    )


def served_form(ward_id: int):
    """The household survey the ward's phones use now (its own publication, else the shipped one)."""
    from survey_app.formdefs.queries import current_form

    return current_form(ward_id, HOUSEHOLD_FORM)


def served_xform(form, group_codes=()) -> bytes:
    """The XForm pyxform made, as Collect gets it: the questions the web phone pre-fills (the group, from
    the group chosen) are typed in Collect, so their binds lose readonly; a member whose team covers one
    residential group (`group_codes`: member_group_codes) finds its code filled in already."""
    text = form.xform
    for name in _PREFILLED:
        text = re.sub(
            rf'(<bind nodeset="[^"]*/{name}"[^>]*?)\s+readonly="true\(\)"',
            r"\1",
            text,
        )
    if len(group_codes) == 1:  # the primary instance's empty element: its default
        text = text.replace("<a1_group/>", f"<a1_group>{escape(group_codes[0])}</a1_group>", 1)
    return text.encode("utf-8")


def member_group_codes(user) -> list[str]:
    """The codes of the residential groups the member's team covers today, in order."""
    from survey_app.access import team_group_ids
    from survey_app.wards.models import ResidentialGroup

    if user.survey_team_id is None:
        return []
    return list(
        db.session.scalars(
            sa.select(ResidentialGroup.code)
            .where(ResidentialGroup.id.in_(team_group_ids(user.survey_team_id)))
            .order_by(ResidentialGroup.code)
        )
    )


def md5(data: bytes) -> str:
    return "md5:" + hashlib.md5(data, usedforsecurity=False).hexdigest()


@dataclass
class MediaFile:
    name: str
    data: bytes
    content_type: str


def media_files(form, ward_id: int, user) -> list[MediaFile]:
    """Every file the form refers to, as the manifest lists them: the media and data files attached to the
    ward's upload, and each entity list's CSV built for this member (households.csv: their area's)."""
    from survey_app.formdefs import attachments
    from survey_app.formdefs.operations import attachment_rows

    found: list[MediaFile] = []
    if form.form_version_id is not None:
        for row in attachment_rows(form.form_version_id):
            path = attachments.store_path(current_app.instance_path, row.sha256)
            if path.exists():
                found.append(MediaFile(row.name, path.read_bytes(), row.content_type))
    for name, kind in sorted(form.schema.files.items()):
        if kind == "entity":
            found.append(MediaFile(name, _entity_csv(user, ward_id, attachments.instance_name(name)), "text/csv"))
    return found


def _entity_csv(user, ward_id: int, list_name: str) -> bytes:
    from survey_app.collection.entities import rows

    found = rows(user, ward_id, list_name)
    columns = ["name", "label"] + sorted({key for row in found for key in row} - {"name", "label"})
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=columns, extrasaction="ignore", lineterminator="\n")
    writer.writeheader()
    writer.writerows(found)
    return out.getvalue().encode("utf-8")
