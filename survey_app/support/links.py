"""Help logged for a member of a household record by that record's client UUID (`person_ref`).

A volunteer may log help for someone interviewed at the door a moment ago, offline: the phone knows
the person only as member n of its household record, maybe not sent yet. The support event is
stored at once (never held back, never dropped) and linked to that Person when the household record
is stored, whichever reaches the server first:

- the household record is stored already: the event is linked as it is stored;
- it is not (later in the same batch, in a later batch, held in the quarantine, kept as refused):
  the event waits, and is linked when the sync core says the record was stored (`records_stored`),
  which also happens when ward staff accept it from the quarantine or retry a refused copy;
- the UUID names another ward's record, a visit without an interview, a record without that
  member, or a person outside the volunteer's groups: the event stays unlinked, flagged with why.

The reference and how it stands are columns of the event: person_ref_uuid, person_ref_index and
link_state ("linked", "waiting", or the code of why it cannot be linked). An event that is not
linked has neither a person nor an anonymous age group; it counts as one person in the figures
until it is linked.
"""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa
from flask_babel import gettext as _

from survey_app.access import visible
from survey_app.collection.models import Person, QuarantinedSubmission, QuarantineStatus, Submission, Visit
from survey_app.extensions import db
from survey_app.support.models import SupportEvent
from survey_app.support.records import PersonRef
from survey_app.sync import outbox
from survey_app.sync.core import DEFAULT_KIND, records_stored

WAITING = "waiting"
LINKED = "linked"


def flag_messages() -> dict:
    """Why an event names no person, for the ward staff and the phone's receipt."""
    return {
        WAITING: _("Waiting for the household record from the phone: linked to the person when it arrives."),
        "quarantined": _("Waiting: the household record is held for checking; linked once the ward staff accept it."),
        "other_ward": _("The household record named belongs to another ward: the help is kept, not linked to a person."),
        "not_interviewed": _("The household record named has no interview: the help is kept, not linked to a person."),
        "no_member": _("The household record named has no member at this position: the help is kept, not linked to a person."),
        "not_your_group": _(
            "The person named does not live in the volunteer's residential groups: the help is kept, not linked to a person."
        ),
    }


@dataclass
class Resolution:
    """The person a reference names, or why there is none (WAITING or a flag code)."""

    person: Person | None
    state: str | None = None


def resolve(ref: PersonRef, volunteer, ward_id: int) -> Resolution:
    """Find the Person a reference names, as the volunteer may see it."""
    submission = db.session.execute(
        sa.select(Submission).where(Submission.ward_id == ward_id, Submission.uuid == ref.submission_uuid)
    ).scalar_one_or_none()
    if submission is None:
        visit = db.session.scalar(sa.select(Visit.id).where(Visit.ward_id == ward_id, Visit.client_uuid == ref.submission_uuid))
        if visit is not None:
            return Resolution(None, "not_interviewed")
        elsewhere = db.session.scalar(
            sa.select(Submission.id).where(Submission.ward_id != ward_id, Submission.uuid == ref.submission_uuid).limit(1)
        )
        return Resolution(None, "other_ward" if elsewhere is not None else WAITING)
    person = db.session.execute(
        sa.select(Person).where(Person.submission_id == submission.id, Person.answer_index == ref.member_index)
    ).scalar_one_or_none()
    if person is None:
        return Resolution(None, "no_member")
    if db.session.scalar(sa.select(Person.id).where(Person.id == person.id, visible(Person, volunteer))) is None:
        return Resolution(None, "not_your_group")
    return Resolution(person)


def link(event: SupportEvent, person: Person) -> None:
    """Make the event the help of this person (their household and group too); the worker derives the
    person's figures again (an act of help done changes them: dashboard.indicators.SUPPORT_EFFECTS)."""
    event.person_id, event.household_id = person.id, person.household_id
    event.residential_group_id = person.residential_group_id
    outbox.note(event.ward_id, household_id=person.household_id)


def note_stored(event: SupportEvent, ref: PersonRef, resolution: Resolution) -> None:
    """Keep a new event's reference and how it stands: linked, waiting for its record, or flagged."""
    event.person_ref_uuid, event.person_ref_index = ref.submission_uuid, ref.member_index
    event.link_state = LINKED if resolution.person is not None else resolution.state


def link_waiting(ward_id: int, submission_uuids: list[str]) -> int:
    """Link the events waiting for these household records, now stored; how many were linked."""
    events = db.session.scalars(
        sa.select(SupportEvent).where(
            SupportEvent.ward_id == ward_id,
            SupportEvent.person_ref_uuid.in_(sorted(set(submission_uuids))),
            SupportEvent.link_state == WAITING,
        )
    ).all()
    if not events:
        return 0
    linked = 0
    for event in events:
        resolution = resolve(PersonRef(event.person_ref_uuid, event.person_ref_index), event.volunteer, ward_id)
        if resolution.person is not None:
            link(event, resolution.person)
            event.link_state = LINKED
            linked += 1
        elif resolution.state != WAITING:
            event.link_state = resolution.state
    db.session.flush()
    return linked


@records_stored.connect
def _household_records_stored(kind, receipts=(), submitter=None, **_ignored) -> None:
    """The sync core stored household records: link the support events that wait for them."""
    uuids = [r.uuid for r in receipts if r.submission_id is not None and r.uuid] if kind == DEFAULT_KIND else []
    if uuids:
        link_waiting(submitter.ward_id, uuids)  # one indexed read per batch when nothing waits


@dataclass
class Unlinked:
    """An event that names a household record's member and is not linked to a person (yet)."""

    event: SupportEvent
    state: str
    submission_uuid: str | None
    member_index: int | None

    @property
    def message(self) -> str:
        return flag_messages().get(self.state, self.state)


def unlinked_events(user, ward_id: int) -> list[Unlinked]:
    """The events of the ward the user may see that wait for their household record or were flagged."""
    events = list(
        db.session.scalars(
            sa.select(SupportEvent)
            .where(
                SupportEvent.ward_id == ward_id,
                SupportEvent.link_state.is_not(None),
                SupportEvent.link_state != LINKED,
                visible(SupportEvent, user),
            )
            .order_by(SupportEvent.occurred_at, SupportEvent.id)
        )
    )
    waiting = sorted({e.person_ref_uuid for e in events if e.link_state == WAITING})
    held = (
        set(
            db.session.scalars(
                sa.select(QuarantinedSubmission.uuid).where(
                    QuarantinedSubmission.ward_id == ward_id,
                    QuarantinedSubmission.status == QuarantineStatus.OPEN,
                    QuarantinedSubmission.uuid.in_(waiting),
                )
            )
        )
        if waiting
        else set()
    )
    return [
        Unlinked(
            event,
            "quarantined" if event.link_state == WAITING and event.person_ref_uuid in held else event.link_state,
            event.person_ref_uuid,
            event.person_ref_index,
        )
        for event in events
    ]
