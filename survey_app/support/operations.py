"""Changing support data: the ward's catalogue, and storing the events phones send (idempotent by UUID).

Functions only flush; the request commits at the edge.
"""

from __future__ import annotations

import sqlalchemy as sa
from flask_babel import format_date
from flask_babel import gettext as _

from survey_app.access import visible
from survey_app.accounts.models import User
from survey_app.audit.operations import record as audit
from survey_app.collection.models import Household, Person
from survey_app.extensions import db, utcnow
from survey_app.support import links
from survey_app.support.models import SupportEvent, SupportType
from survey_app.support.queries import current_lang
from survey_app.support.records import SUPPORT_KIND, SupportRecord, parse_support_record
from survey_app.sync import outbox
from survey_app.sync.core import Handler, Submitter, register
from survey_app.sync.envelope import Receipt, RecordError, resent
from survey_app.wards.models import ResidentialGroup, Ward

#: The catalogue a ward starts with: (code, Vietnamese, English, gap module). Codes match the
#: support_type choices of forms/support_event.xlsx.
DEFAULT_CATALOGUE = (
    ("vneid_install", "Cài đặt VNeID", "Install VNeID", "m2"),
    ("vneid_level2", "Kích hoạt định danh điện tử mức 2", "Activate level-2 e-identity", "m2"),
    ("public_service", "Nộp hồ sơ dịch vụ công trực tuyến", "An online public service application", "m3"),
    ("cashless", "Cài đặt thanh toán không dùng tiền mặt", "Cashless payment set-up", "m4"),
    ("scam_awareness", "Hướng dẫn phòng chống lừa đảo", "Scam-awareness guidance", "m5"),
    ("tax_app", "Ứng dụng thuế (eTax Mobile)", "The tax app (eTax Mobile)", None),
    ("citizen_app", "Ứng dụng công dân số của thành phố", "The city's citizen app", None),
    ("health_app", "Bảo hiểm y tế, sức khoẻ điện tử (VssID, Sổ sức khoẻ điện tử)", "Health insurance or e-health app", None),
    ("other", "Khác", "Other", None),
)


class CatalogueError(ValueError):
    """A catalogue change refused; the message is for people."""


# ---------------------------------------------------------------- the catalogue


def ensure_default_catalogue(ward: Ward) -> int:
    """Add the default kinds of help the ward does not have yet (by code); returns how many were added."""
    known = set(db.session.scalars(sa.select(SupportType.code).where(SupportType.ward_id == ward.id)))
    added = [
        SupportType(ward_id=ward.id, code=code, name_vi=vi, name_en=en, gap_module=module, sort_order=10 * (position + 1))
        for position, (code, vi, en, module) in enumerate(DEFAULT_CATALOGUE)
        if code not in known
    ]
    db.session.add_all(added)
    db.session.flush()
    return len(added)


def add_type(ward_id: int, *, code: str, name_vi: str, name_en: str, gap_module: str | None, sort_order: int) -> SupportType:
    """A new kind of help in the ward's catalogue; the code is unique in the ward."""
    taken = db.session.scalar(sa.select(SupportType.id).where(SupportType.ward_id == ward_id, SupportType.code == code))
    if taken is not None:
        raise CatalogueError(_("A kind of help with the code %(code)s already exists.", code=code))
    row = SupportType(
        ward_id=ward_id, code=code, name_vi=name_vi, name_en=name_en, gap_module=gap_module or None, sort_order=sort_order
    )
    db.session.add(row)
    db.session.flush()
    audit("support_type.added", ward_id=ward_id, object_type="support_types", object_id=row.id, detail={"code": code})
    return row


def update_type(row: SupportType, *, name_vi: str, name_en: str, gap_module: str | None, sort_order: int) -> None:
    """Rename a kind of help or change its gap module; its past events keep pointing at it."""
    before = {"name_vi": row.name_vi, "name_en": row.name_en, "gap_module": row.gap_module}
    row.name_vi, row.name_en, row.gap_module, row.sort_order = name_vi, name_en, gap_module or None, sort_order
    audit("support_type.changed", ward_id=row.ward_id, object_type="support_types", object_id=row.id, detail={"before": before})
    db.session.flush()


def retire_type(row: SupportType) -> None:
    """Take a kind of help off the phones; events that used it keep it."""
    if row.retired_at is not None:
        raise CatalogueError(_("This kind of help is already retired."))
    row.retired_at = utcnow()
    audit("support_type.retired", ward_id=row.ward_id, object_type="support_types", object_id=row.id)
    db.session.flush()


def restore_type(row: SupportType) -> None:
    """Put a retired kind of help back in use."""
    if row.retired_at is None:
        raise CatalogueError(_("This kind of help is in use already."))
    row.retired_at = None
    audit("support_type.restored", ward_id=row.ward_id, object_type="support_types", object_id=row.id)
    db.session.flush()


# ---------------------------------------------------------------- events sent by phones (the sync core's handler)


class SupportHandler(Handler):
    """An act of help a volunteer logged (kind "support_event"); refusals store nothing."""

    kind = SUPPORT_KIND
    refused_action = "support_event.refused"
    refused_object_type = "support_events"

    def store(self, payload, submitter: Submitter) -> Receipt:
        return _ingest(payload, _volunteer(submitter))

    def known(self, uuid, digest, submitter: Submitter) -> Receipt | None:
        return _known_result(uuid, digest, _volunteer(submitter))


def _volunteer(submitter: Submitter) -> User:
    if submitter.user is None:
        raise RecordError(403, "forbidden", _("Only a signed-in volunteer can log help."))
    return submitter.user


register(SupportHandler())


def _known_result(uuid: str, digest: str, user: User) -> Receipt | None:
    """The first result for a UUID the volunteer's ward already has; only its sender learns about it."""
    event = db.session.execute(
        sa.select(SupportEvent).where(SupportEvent.ward_id == user.ward_id, SupportEvent.uuid == uuid)
    ).scalar_one_or_none()
    if event is None:
        return None
    sender = event.volunteer_id == user.id or (user.survey_team_id is not None and event.survey_team_id == user.survey_team_id)
    return resent(uuid, digest, event.content_hash, by_sender=sender, support_event_id=event.id)


def _ingest(payload, user: User) -> Receipt:
    record = parse_support_record(payload)
    known = _known_result(record.uuid, record.content_hash, user)
    if known is not None:
        return known
    group, household = _where(record, user)
    types = _types(record, user.ward_id)
    earlier = _earlier(record, user)
    found = links.resolve(record.person_ref, user, user.ward_id) if record.person_ref is not None else None
    event = SupportEvent(
        uuid=record.uuid,
        ward_id=user.ward_id,
        volunteer_id=user.id,
        survey_team_id=user.survey_team_id,
        residential_group_id=group.id,
        household_id=household.id if household else None,
        person_id=record.person_id,
        anon_age_group=record.anon_age_group,
        anon_sex=record.anon_sex,
        occurred_at=record.occurred_at,
        place=record.place,
        place_other=record.place_other,
        outcome=record.outcome,
        minutes=record.minutes,
        other_text=record.other_text,
        follow_up_of_id=earlier.id if earlier else None,
        content_hash=record.content_hash,
        types=types,
    )
    db.session.add(event)
    if household is not None and record.person_id is not None:
        outbox.note(user.ward_id, household_id=household.id)  # the person's figures follow the help
    message = None
    if found is not None:  # a member of a household record by its UUID: linked now, or when it arrives
        if found.person is not None:
            links.link(event, found.person)
        else:
            message = links.flag_messages()[found.state]
        db.session.flush()
        links.note_stored(event, record.person_ref, found)
    db.session.flush()
    return Receipt(record.uuid, 201, "stored", message, support_event_id=event.id)


def _visible_row(model, row_id: int, user: User):
    return db.session.execute(sa.select(model).where(model.id == row_id, visible(model, user))).scalar_one_or_none()


def _where(record: SupportRecord, user: User) -> tuple[ResidentialGroup, Household | None]:
    """The group and household of the help, checked against what the volunteer may write to."""
    if record.person_id is not None:
        return _person_place(record, user)
    if record.residential_group_id is None:
        raise RecordError(400, "bad_group", _("Choose the residential group where the person lives."))
    group = _visible_row(ResidentialGroup, record.residential_group_id, user)
    if group is None:
        raise RecordError(403, "forbidden", _("This residential group is not one of your team's groups."))
    household = None
    if record.household_id is not None:
        household = _visible_row(Household, record.household_id, user)
        if household is None or household.residential_group_id != group.id:
            raise RecordError(403, "forbidden", _("This household is not one of your team's households."))
    return group, household


def _person_place(record: SupportRecord, user: User) -> tuple[ResidentialGroup, Household]:
    person = db.session.get(Person, record.person_id)
    if person is None or person.ward_id != user.ward_id:
        raise RecordError(403, "other_ward", _("The person helped is not a resident surveyed in your ward."))
    if _visible_row(Person, person.id, user) is None:
        raise RecordError(403, "forbidden", _("The person helped does not live in your team's residential groups."))
    if person.submission_id is None:
        raise RecordError(
            400, "not_surveyed", _("This person has not been surveyed yet: log the help as for an anonymous person.")
        )
    if record.residential_group_id not in (None, person.residential_group_id) or record.household_id not in (
        None,
        person.household_id,
    ):
        raise RecordError(400, "bad_person", _("The person helped does not belong to the chosen household."))
    return db.session.get(ResidentialGroup, person.residential_group_id), db.session.get(Household, person.household_id)


def _types(record: SupportRecord, ward_id: int) -> list[SupportType]:
    """The catalogue rows of the codes sent: unknown codes, and types retired before the help, are refused."""
    rows = {
        row.code: row
        for row in db.session.scalars(
            sa.select(SupportType).where(SupportType.ward_id == ward_id, SupportType.code.in_(record.type_codes))
        )
    }
    for code in record.type_codes:
        row = rows.get(code)
        if row is None:
            raise RecordError(400, "unknown_type", _("Unknown kind of help: %(code)s.", code=code))
        if row.retired_at is not None and row.retired_at <= record.occurred_at:
            raise RecordError(
                400,
                "retired_type",
                _(
                    'The kind of help "%(name)s" was retired on %(day)s.',
                    name=row.label(current_lang()),
                    day=format_date(row.retired_at),
                ),
            )
    return [rows[code] for code in record.type_codes]


def _earlier(record: SupportRecord, user: User) -> SupportEvent | None:
    """The event this one follows up, if any; it must be one the volunteer can see."""
    if record.follow_up_of is None:
        return None
    if record.follow_up_of == record.uuid:
        raise RecordError(400, "bad_follow_up", _("A support event cannot follow itself up."))
    earlier = db.session.execute(
        sa.select(SupportEvent).where(SupportEvent.uuid == record.follow_up_of, visible(SupportEvent, user))
    ).scalar_one_or_none()
    if earlier is None:
        raise RecordError(404, "unknown_follow_up", _("The support event being followed up is not known here."))
    if earlier.occurred_at > record.occurred_at:
        raise RecordError(400, "bad_follow_up", _("A follow-up cannot happen before the help it follows up."))
    return earlier
