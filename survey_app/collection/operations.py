"""Storing what phones and residents send: the sync core's handler of household visits and surveys.

The core (survey_app.sync.core) runs each record inside its own SAVEPOINT with race retries; this
module says what a visit is: who may send it, its duplicate and conflict rules, validation against
the form and quarantine when invalid. Functions only flush; the caller commits.
"""

from __future__ import annotations

import sqlalchemy as sa
from flask_babel import gettext as _

from survey_app.access import visible
from survey_app.accounts.models import User
from survey_app.audit.operations import record as audit
from survey_app.clock import local_zone
from survey_app.collection import batch, duplicates, entities, formlink, media, rules
from survey_app.collection.models import (
    Channel,
    Household,
    IllegalTransition,
    Person,
    QuarantinedSubmission,
    QuarantineStatus,
    Submission,
    SubmissionVersion,
    VersionSource,
    Visit,
    VisitOutcome,
)
from survey_app.collection.records import Record, RecordError, parse_record
from survey_app.extensions import db, utcnow
from survey_app.sync import outbox
from survey_app.sync.core import DEFAULT_KIND, Handler, Submitter, ingest, register
from survey_app.sync.envelope import Receipt, conflict, uuid_taken
from survey_app.wards.models import ResidentialGroup


class VisitHandler(Handler):
    """A knock on a door, with the household survey's answers when the household was interviewed."""

    kind = DEFAULT_KIND
    refused_action = "submission.refused"
    refused_object_type = "households"

    def store(self, payload, submitter: Submitter) -> Receipt:
        return _ingest(payload, submitter)

    def known(self, uuid, digest, submitter: Submitter) -> Receipt | None:
        return _known_result(uuid, digest, submitter)

    def prepare_many(self, payloads: list, submitter: Submitter):
        return batch.prepare(payloads, submitter)

    def write_many(self, prepared) -> list[Receipt | None]:
        return batch.write(prepared)

    def resent_positions(self, prepared) -> set[int]:
        return prepared.resent

    def refused_object_id(self, payload) -> int | None:
        household_id = payload.get("household_id") if isinstance(payload, dict) else None
        return household_id if isinstance(household_id, int) and not isinstance(household_id, bool) else None


register(VisitHandler())


def _ingest(payload, submitter: Submitter) -> Receipt:
    record = parse_record(payload, with_visit=submitter.self_group is None)
    known, sent_back = _lookup(record.uuid, record.content_hash, submitter)
    if known is not None:
        return known
    household, group = _authorize(record, submitter)
    form, filled_on = None, None
    if record.form_id is not None:
        form = formlink.load_form(submitter.ward_id, record.form_id, record.form_version)
        if form is None:
            raise RecordError(
                404,
                "unknown_form",
                _("The form %(form)s version %(version)s is not known here.", form=record.form_id, version=record.form_version),
            )
        form = entities.served_form(form, submitter.ward_id, submitter.reviewer or submitter.user)  # households.csv
        filled_on = rules.filled_on(record)
        errors = answer_errors(form, record.answers, filled_on, group.code)
        if sent_back is not None:
            return _store_fix(record, sent_back, submitter, errors, form)
        if errors:
            return _quarantine(record, errors, submitter, group)
    elif sent_back is not None:
        return conflict(record.uuid)
    return _store(record, submitter, household, group, form, filled_on)


def answer_errors(form, answers: dict, filled_on, group_code: str) -> list[dict]:
    """What is wrong with a household record's answers: the form's checks and the group it names."""
    return formlink.validate_answers(form, answers, filled_on) + rules.group_errors(answers, group_code)


def _authorize(record: Record, submitter: Submitter) -> tuple[Household | None, ResidentialGroup]:
    """The household and group the record is about, if the submitter may write there; else 403."""
    if submitter.self_group is not None:
        return None, submitter.self_group
    user = submitter.reviewer or submitter.user
    if record.household_id is not None:
        household = db.session.execute(
            sa.select(Household).where(Household.id == record.household_id, visible(Household, user))
        ).scalar_one_or_none()
        if household is None:
            raise RecordError(403, "forbidden", _("This household is not one of your team's households."))
        return household, household.residential_group
    group_id = record.new_household.residential_group_id
    group = db.session.execute(
        sa.select(ResidentialGroup).where(ResidentialGroup.id == group_id, visible(ResidentialGroup, user))
    ).scalar_one_or_none()
    if group is None:
        raise RecordError(403, "forbidden", _("This residential group is not one of your team's groups."))
    return None, group


def _known_result(uuid: str, digest: str, submitter: Submitter) -> Receipt | None:
    return _lookup(uuid, digest, submitter)[0]


def _lookup(uuid: str, digest: str, submitter: Submitter) -> tuple[Receipt | None, Submission | None]:
    """The first result for a UUID already received in the submitter's ward (None when it is new there
    or a fix of an open quarantined record), and the submission it fixes when it is its sender's fix of
    a record sent back to them.

    A UUID names a record only inside its ward, and only its sender (the same surveyor or team, the
    same group's self-survey link, or the ward's reviewer) may learn about it or correct it: anyone else
    gets a conflict that says nothing of the record.
    """
    ward = submitter.ward_id
    submission = db.session.execute(
        sa.select(Submission).where(Submission.ward_id == ward, Submission.uuid == uuid)
    ).scalar_one_or_none()
    quarantined = db.session.execute(
        sa.select(QuarantinedSubmission).where(QuarantinedSubmission.ward_id == ward, QuarantinedSubmission.uuid == uuid)
    ).scalar_one_or_none()
    visit = db.session.execute(sa.select(Visit).where(Visit.ward_id == ward, Visit.client_uuid == uuid)).scalar_one_or_none()
    if any(row is not None and not _sent_by(row, submitter) for row in (submission, quarantined, visit)):
        return uuid_taken(uuid), None
    if submission is not None:
        if (
            digest == submission.content_hash
            or (quarantined is not None and digest == quarantined.content_hash)
            or _an_earlier_version(submission, digest)
        ):
            receipt = _stored_receipt(uuid, 200, "duplicate", submission, visit)
            if submitter.self_group is not None:
                receipt.household_id = None  # a resident is never told which listed household it was matched to
            return receipt, None
        if submission.sent_back and submitter.reviewer is None and submitter.self_group is None:
            return None, submission
        return conflict(uuid), None
    if visit is not None:
        receipt = _stored_receipt(uuid, 200, "duplicate", None, visit) if digest == visit.content_hash else conflict(uuid)
        return receipt, None
    if quarantined is None:
        return None, None
    if quarantined.status == QuarantineStatus.REJECTED:
        return Receipt(
            uuid, 409, "rejected", _("The ward staff set this record aside: %(reason)s", reason=quarantined.reason or "")
        ), None
    if digest == quarantined.content_hash and submitter.reviewer is None:
        return _quarantine_receipt(quarantined), None
    return None, None  # a corrected version of an open quarantined record: handle it as new


def _an_earlier_version(submission: Submission, digest: str) -> bool:
    """Whether the phone sent this content before (the record as first sent, or an earlier fix)."""
    return (
        submission.version > 1
        and db.session.scalar(
            sa.select(sa.literal(True)).where(
                SubmissionVersion.submission_id == submission.id, SubmissionVersion.content_hash == digest
            )
        )
        is not None
    )


def _sent_by(row, submitter: Submitter) -> bool:
    """Whether `row` (a submission, visit or quarantined record of the ward) came from this submitter."""
    if submitter.reviewer is not None:
        return True
    if submitter.self_group is not None:
        return row.residential_group_id == submitter.self_group.id and row.surveyor_id is None
    user = submitter.user
    return user is not None and (
        row.surveyor_id == user.id or (submitter.team_id is not None and row.survey_team_id == submitter.team_id)
    )


def sent_by_user(row, user: User) -> bool:
    """Whether a submission came from this team member (or their team): only they send its files."""
    return _sent_by(row, Submitter.for_user(user))


def _stored_receipt(uuid, status, result, submission: Submission | None, visit: Visit | None) -> Receipt:
    household = visit.household if visit is not None else None
    missing = media.missing_of(submission.id) if submission is not None else []
    return Receipt(
        uuid,
        status,
        result,
        missing_files=missing or None,
        submission_id=submission.id if submission is not None else None,
        visit_id=visit.id if visit is not None else None,
        household_id=household.id if household is not None else (submission.household_id if submission else None),
        household_client_uuid=household.client_uuid if household is not None else None,
    )


def _quarantine_receipt(quarantined: QuarantinedSubmission) -> Receipt:
    return Receipt(
        quarantined.uuid,
        422,
        "quarantined",
        _("Some answers need checking. The record is kept for the ward staff."),
        errors=list(quarantined.errors),
        quarantine_id=quarantined.id,
    )


def _quarantine(record: Record, errors: list[dict], submitter: Submitter, group) -> Receipt:
    """Keep a record that failed validation, or update the open one it corrects."""
    row = db.session.execute(
        sa.select(QuarantinedSubmission).where(
            QuarantinedSubmission.ward_id == submitter.ward_id, QuarantinedSubmission.uuid == record.uuid
        )
    ).scalar_one_or_none()
    if row is None:
        row = QuarantinedSubmission(
            uuid=record.uuid,
            ward_id=submitter.ward_id,
            channel=Channel(submitter.channel),
            surveyor_id=submitter.user.id if submitter.user else None,
            survey_team_id=submitter.team_id,
        )
        db.session.add(row)
    row.form_id, row.form_version = record.form_id, record.form_version
    row.residential_group_id = group.id
    row.payload, row.errors = record.content, errors
    if (
        submitter.reviewer is None or row.content_hash is None
    ):  # the sender's hash, so a re-send of the original still finds this row
        row.content_hash = record.content_hash
    db.session.flush()
    return _quarantine_receipt(row)


def _store(record: Record, submitter: Submitter, household: Household | None, group, form=None, filled_on=None) -> Receipt:
    user = submitter.user
    created = False
    if record.new_household is not None:
        household, created = _reconcile_household(record, user, group)
    submission = None
    online = submitter.self_group is not None
    if online and record.answers is not None:  # a resident's own survey: their listed household, if found
        household = duplicates.listed_match(group.id, record.answers.get("a2_address"), record.answers.get("a3_head_name"))
    if record.answers is not None:
        submission = _new_submission(record, submitter, household, group)
        if form is not None:
            media.expect_files(submission, form.schema)
            editor = None if online else submitter.reviewer or submitter.user
            entities.apply(
                submission, form.schema, editor, household=None if online else household, created=created, today=filled_on
            )
    visit = None
    if household is not None and online:
        _apply_outcome(household, VisitOutcome.INTERVIEWED, False)  # counted once, whoever answered
    elif household is not None:
        latitude, longitude, accuracy = record.location or (None, None, None)
        visit = Visit(
            client_uuid=record.uuid,
            ward_id=household.ward_id,
            household_id=household.id,
            residential_group_id=household.residential_group_id,
            surveyor_id=user.id if user else None,
            survey_team_id=submitter.team_id,
            outcome=record.outcome,
            visited_at=record.visited_at,
            latitude=latitude,
            longitude=longitude,
            accuracy_m=accuracy,
            content_hash=record.content_hash,
            submission_id=submission.id if submission else None,
            household=household,
        )
        db.session.add(visit)
        if not rules.of_an_earlier_round(household.ward_id, record.visited_at):
            _apply_outcome(household, record.outcome, created)
    _close_corrected_quarantine(record.uuid, submitter.ward_id, submission, submitter.reviewer)
    db.session.flush()
    if submission is not None or visit is not None:  # the figures are derived by the worker
        outbox.note(
            submitter.ward_id,
            household_id=household.id if household is not None else None,
            submission_id=submission.id if submission is not None else None,
        )
    return (
        _stored_receipt(record.uuid, 201, "stored", submission, visit)
        if visit
        else Receipt(
            record.uuid, 201, "stored", submission_id=submission.id, missing_files=media.missing_of(submission.id) or None
        )
    )


def _reconcile_household(record: Record, user: User | None, group: ResidentialGroup) -> tuple[Household, bool]:
    """The household a phone registered offline: the same one every time its client UUID comes back."""
    block = record.new_household
    existing = db.session.execute(
        sa.select(Household).where(Household.ward_id == group.ward_id, Household.client_uuid == block.client_uuid)
    ).scalar_one_or_none()
    if existing is not None:
        if existing.residential_group_id != group.id:
            raise RecordError(409, "conflict", _("This new household was already registered in another group."))
        return existing, False
    household = Household(
        ward_id=group.ward_id,
        residential_group_id=group.id,
        client_uuid=block.client_uuid,
        address=block.address,
        head_name=block.head_name,
        registered_by_id=user.id if user else None,
    )
    db.session.add(household)
    db.session.flush()
    return household, True


def _new_submission(record: Record, submitter: Submitter, household: Household | None, group) -> Submission:
    latitude, longitude, accuracy = record.location or (None, None, None)
    submission = Submission(
        uuid=record.uuid,
        ward_id=group.ward_id,
        form_id=record.form_id,
        form_version=record.form_version,
        channel=Channel(submitter.channel),
        surveyor_id=submitter.user.id if submitter.user else None,
        survey_team_id=submitter.team_id,
        household_id=household.id if household else None,
        residential_group_id=group.id,
        started_at=record.started_at,
        finished_at=record.finished_at,
        latitude=latitude,
        longitude=longitude,
        accuracy_m=accuracy,
        answers=record.answers,
        content_hash=record.content_hash,
    )
    db.session.add(submission)
    db.session.flush()
    if household is not None:
        link_members(submission, household)
        mark_gone(record, submission, household)
    elif record.roster_changes:
        raise RecordError(400, "bad_roster_change", _("Only a listed household's members can be marked as gone."))
    return submission


def mark_gone(record: Record, submission: Submission, household: Household) -> None:
    """The roster's members the surveyor marked as moved away or deceased (a later round): each must be a
    member of this household not answered in this survey; refused otherwise (RecordError, nothing kept)."""
    when = (record.visited_at or record.started_at or utcnow()).astimezone(local_zone()).date()
    for person_id, reason in record.roster_changes:
        person = db.session.get(Person, person_id)
        if person is None or person.household_id != household.id:
            raise RecordError(400, "bad_roster_change", _("A member marked as gone is not on this household's roster."))
        if person.submission_id == submission.id:
            raise RecordError(400, "bad_roster_change", _("%(name)s is marked as gone and answered too.", name=person.full_name))
        person.left_reason, person.left_on = reason, when


def _apply_outcome(household: Household, outcome: VisitOutcome, created: bool) -> None:
    """Move the household's status; a late miss never reopens a household already done."""
    if outcome == VisitOutcome.NEW_HOUSEHOLD and created:
        return
    try:
        household.apply_visit_outcome(outcome)
    except IllegalTransition:
        pass  # the visit is kept as a fact; the status stays where the guard left it


def _close_corrected_quarantine(uuid: str, ward_id: int, submission: Submission | None, reviewer: User | None) -> None:
    row = db.session.execute(
        sa.select(QuarantinedSubmission).where(
            QuarantinedSubmission.ward_id == ward_id,
            QuarantinedSubmission.uuid == uuid,
            QuarantinedSubmission.status == QuarantineStatus.OPEN,
        )
    ).scalar_one_or_none()
    if row is not None:
        reason = _("Corrected by the ward staff.") if reviewer else _("Corrected on the phone and sent again.")
        row.close(QuarantineStatus.ACCEPTED, reviewer.id if reviewer else None, reason)
        row.submission_id = submission.id if submission else None


def link_members(submission: Submission, household: Household) -> None:
    """One Person per member answered: the roster's entry when name and birth year match, else a new one.
    An interview of an earlier round than the ward's current one links nobody: the residents' links are
    the current round's (rounds.operations.keep_late follows its members by name and birth year)."""
    if rules.of_an_earlier_round(household.ward_id, submission.started_at or submission.received_at):
        return
    for person, fields in rules.plan_members(submission.answers.get("members", []), household.members):
        if person is None:
            person = Person(
                ward_id=household.ward_id, household_id=household.id, residential_group_id=household.residential_group_id
            )
            db.session.add(person)
        for name, value in fields.items():
            setattr(person, name, value)
        person.submission_id = submission.id
    db.session.flush()


def _store_fix(record: Record, submission: Submission, submitter: Submitter, errors: list[dict], form) -> Receipt:
    """The surveyor's fix of a record sent back to them: a new version, and the record back in the queue."""
    if record.fix_of != submission.version or record.form_id != submission.form_id:
        return Receipt(
            record.uuid,
            409,
            "changed",
            _("This record was changed on the server after it was sent back to you; your fix is kept for the ward staff."),
        )
    if errors:
        return Receipt(record.uuid, 422, "fix_invalid", _("Some answers of the fix need checking."), errors=errors)
    store_version(
        submission,
        record.answers,
        submitter.user,
        VersionSource.FIXED,
        submission.review_comment,
        content_hash=record.content_hash,
    )
    media.expect_files(submission, form.schema)  # photos the fix added; they follow as usual
    submission.resubmitted()
    audit(
        "submission.fixed",
        user=submitter.user,
        ward_id=submission.ward_id,
        object_type="submissions",
        object_id=submission.id,
        detail={"version": submission.version},
    )
    visit = db.session.execute(
        sa.select(Visit).where(Visit.ward_id == submission.ward_id, Visit.client_uuid == record.uuid)
    ).scalar_one_or_none()
    return _stored_receipt(record.uuid, 201, "fixed", submission, visit)


def store_version(
    submission: Submission,
    answers: dict,
    author: User | None,
    source: VersionSource,
    reason: str | None,
    content_hash: str | None = None,
) -> int:
    """Make `answers` the submission's latest version and return its number. The first correction
    keeps the answers as received as version 1; the members are linked again and the figures
    re-derived (outbox), so they follow the latest version."""
    if submission.version == 1:
        db.session.add(
            SubmissionVersion(
                ward_id=submission.ward_id,
                submission_id=submission.id,
                number=1,
                source=VersionSource.SENT,
                answers=submission.answers,
                content_hash=submission.content_hash,
                author_id=submission.surveyor_id,
                created_at=submission.received_at,
            )
        )
    number = submission.version + 1
    db.session.add(
        SubmissionVersion(
            ward_id=submission.ward_id,
            submission_id=submission.id,
            number=number,
            source=source,
            answers=answers,
            content_hash=content_hash,
            author_id=author.id if author is not None else None,
            reason=reason,
        )
    )
    submission.answers, submission.version = answers, number
    if content_hash is not None:
        submission.content_hash = content_hash  # the phone's re-send of its fix is a duplicate
    if submission.household is not None:
        for person in submission.household.members:
            if person.submission_id == submission.id:  # matched again by name and birth year below
                person.submission_id, person.answer_index = None, None
        db.session.flush()
        link_members(submission, submission.household)
    db.session.flush()
    outbox.note(submission.ward_id, household_id=submission.household_id, submission_id=submission.id)
    return number


def review_submission(submission: Submission, status, reviewer: User, comment: str | None) -> None:
    """Move a submission's review status (guarded by the model) and audit it."""
    before = submission.review_status
    submission.review(status, reviewer.id, comment or None)
    audit(
        "submission.reviewed",
        user=reviewer,
        ward_id=submission.ward_id,
        object_type="submissions",
        object_id=submission.id,
        detail={"from": before.value, "to": submission.review_status.value},
    )
    db.session.flush()
    outbox.note(submission.ward_id, household_id=submission.household_id, submission_id=submission.id)


def accept_quarantined(row: QuarantinedSubmission, payload: dict, reviewer: User) -> Receipt:
    """Store a corrected quarantined record on its sender's behalf; 201 when stored, 422 with errors if not."""
    if row.status != QuarantineStatus.OPEN:
        raise IllegalTransition(f"quarantine {row.status} cannot be accepted")
    payload = {**payload, "uuid": row.uuid}
    surveyor = db.session.get(User, row.surveyor_id) if row.surveyor_id else None
    group = db.session.get(ResidentialGroup, row.residential_group_id) if row.channel == Channel.ONLINE else None
    submitter = Submitter(
        ward_id=row.ward_id, user=surveyor, team_id=row.survey_team_id, channel=row.channel, self_group=group, reviewer=reviewer
    )
    receipt = ingest(payload, submitter)
    if receipt.status == 201:
        audit(
            "quarantine.accepted",
            user=reviewer,
            ward_id=row.ward_id,
            object_type="quarantined_submissions",
            object_id=row.id,
            detail={"submission_id": receipt.submission_id},
        )
    return receipt


def reject_quarantined(row: QuarantinedSubmission, reason: str, reviewer: User) -> None:
    """Set a quarantined record aside for good, with the reason the sender will be told."""
    row.close(QuarantineStatus.REJECTED, reviewer.id, reason)
    audit("quarantine.rejected", user=reviewer, ward_id=row.ward_id, object_type="quarantined_submissions", object_id=row.id)
    db.session.flush()
