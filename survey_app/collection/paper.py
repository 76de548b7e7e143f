"""Paper questionnaires keyed in afterwards: interviews done on the printed form where there is no signal.

Ward admins, team leaders (their team's groups) and surveyors (their own interviews) pick the household,
the surveyor who interviewed and the date written on the paper, then fill the same rendered form the
phone uses. The record goes through the sync core like a phone's (`ingest`): the same checks, the
quarantine when answers fail, the duplicate and quality checks, and the visit moves the household's
status. The submission's channel is `paper`; who keyed it in and when is the audit event
`submission.paper_entered` (the submission has no column for it and this needs no migration), read back
by `keyed_in`. Functions only flush; the caller commits.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timezone

import sqlalchemy as sa
from flask_babel import gettext as _

from survey_app.access import visible
from survey_app.accounts.models import Role, User
from survey_app.audit.models import AuditEvent
from survey_app.audit.operations import record as audit
from survey_app.clock import local_today, local_zone
from survey_app.collection.models import Channel, Household, QuarantinedSubmission, Submission
from survey_app.extensions import db
from survey_app.formdefs.ids import ADULT_AGE
from survey_app.sync.core import Submitter, ingest
from survey_app.sync.envelope import Receipt
from survey_app.wards.models import ResidentialGroup

#: Who keys paper questionnaires in.
KEYERS = (Role.WARD_ADMIN, Role.TEAM_LEADER, Role.SURVEYOR)
#: Who may have done the interview on paper.
INTERVIEWERS = (Role.SURVEYOR, Role.TEAM_LEADER, Role.WARD_ADMIN)
ACTION = "submission.paper_entered"
#: Most households listed in the chooser for one group.
MAX_HOUSEHOLDS = 3000


class PaperInputError(ValueError):
    """What the keyer picked cannot be used; `message` says why, in the user's language."""

    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.message, self.field = message, field


@dataclass
class PaperVisit:
    """The interview a paper questionnaire records, checked."""

    household: Household
    surveyor: User
    day: date

    @property
    def group(self) -> ResidentialGroup:
        return self.household.residential_group


# ---- what the keyer may pick ----


def groups_for(user: User) -> list[ResidentialGroup]:
    """The residential groups the user may key questionnaires for (a team's: those assigned today)."""
    return list(
        db.session.execute(
            sa.select(ResidentialGroup).where(visible(ResidentialGroup, user)).order_by(ResidentialGroup.code)
        ).scalars()
    )


def households_of(user: User, group: ResidentialGroup) -> list[Household]:
    return list(
        db.session.execute(
            sa.select(Household)
            .where(Household.residential_group_id == group.id, visible(Household, user))
            .order_by(Household.address, Household.id)
            .limit(MAX_HOUSEHOLDS)
        ).scalars()
    )


def interviewers_for(user: User) -> list[User]:
    """Who the user may say interviewed: a surveyor only themselves, a team leader their team's members, a
    ward admin anyone of the ward's survey teams (or themselves)."""
    if user.role == Role.SURVEYOR:
        return [user]
    condition = sa.and_(
        User.ward_id == user.ward_id,
        User.active.is_(True),
        User.role.in_(INTERVIEWERS),
        sa.or_(User.survey_team_id.is_not(None), User.id == user.id),
    )
    if user.role == Role.TEAM_LEADER:
        condition = sa.and_(condition, User.survey_team_id == user.survey_team_id)
    return list(db.session.execute(sa.select(User).where(condition).order_by(User.full_name, User.id)).scalars())


def find_group(user: User, value) -> ResidentialGroup | None:
    """The group picked (None when none was); PaperInputError when it is unknown or not the user's."""
    if value in (None, ""):
        return None
    key = _id(value)
    group = db.session.get(ResidentialGroup, key) if key is not None else None
    if group is None or group.ward_id != user.ward_id:
        raise PaperInputError(_("This residential group is not one of your ward's groups."), "group")
    allowed = db.session.scalar(
        sa.select(sa.literal(True)).where(ResidentialGroup.id == group.id, visible(ResidentialGroup, user))
    )
    if not allowed:
        raise PaperInputError(_("This residential group is not assigned to your team."), "group")
    return group


def check(user: User, household_id, surveyor_id, day) -> PaperVisit:
    """The household, the interviewer and the paper's date, checked against what the user may key in."""
    key = _id(household_id)
    household = db.session.get(Household, key) if key is not None else None
    if household is None or household.ward_id != user.ward_id:
        raise PaperInputError(
            _("This household is not on your ward's list. Pick it from the list of its residential group."), "household"
        )
    allowed = db.session.scalar(sa.select(sa.literal(True)).where(Household.id == household.id, visible(Household, user)))
    if not allowed:
        raise PaperInputError(_("This household is in a residential group not assigned to your team."), "household")
    surveyor = next((u for u in interviewers_for(user) if u.id == _id(surveyor_id)), None)
    if surveyor is None:
        raise PaperInputError(_("Pick the surveyor who did the interview from the list (a member of your team)."), "surveyor")
    return PaperVisit(household, surveyor, paper_day(day, household.residential_group.ward))


def paper_day(value, ward) -> date:
    """The interview date written on the paper: dd/mm/yyyy (or yyyy-mm-dd), not after today."""
    text = str(value or "").strip()
    if not text:
        raise PaperInputError(_("Write the interview date from the paper (day/month/year)."), "day")
    day = None
    for pattern in ("%Y-%m-%d", "%d/%m/%Y", "%d-%m-%Y", "%d.%m.%Y"):
        try:
            day = datetime.strptime(text, pattern).date()
            break
        except ValueError:
            continue
    if day is None:
        raise PaperInputError(_("The interview date is not a date: write it as day/month/year, e.g. 05/09/2025."), "day")
    today = local_today()
    if day > today:
        raise PaperInputError(_("The interview date cannot be after today (%(today)s).", today=today.strftime("%d/%m/%Y")), "day")
    starts = getattr(ward, "survey_starts_on", None)
    if starts is not None and day < starts:
        raise PaperInputError(
            _("The interview date is before the survey started (%(start)s).", start=starts.strftime("%d/%m/%Y")), "day"
        )
    return day


def _id(value) -> int | None:
    if isinstance(value, bool):
        return None
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


# ---- storing ----


def prefill(schema, visit: PaperVisit) -> dict:
    """The answers known before the first question, as the phone fills them (interview.js `prefill`):
    the group, the address and head, and the roster's members aged 15 or over in the paper's year."""
    names = schema.by_name
    answers: dict = {}
    household = visit.household
    if "a1_group" in names:
        answers["a1_group"] = visit.group.code
    if "a2_address" in names and household.address:
        answers["a2_address"] = household.address
    if "a3_head_name" in names and household.head_name:
        answers["a3_head_name"] = household.head_name
    if "members" in names and names["members"].type == "repeat":
        members = []
        for person in household.members:
            if person.birth_year and visit.day.year - person.birth_year < ADULT_AGE:
                continue
            entry = {
                "b0_name": person.full_name,
                "b1_birth_year": person.birth_year,
                "b2_sex": person.sex.value if person.sex else None,
            }
            members.append({key: value for key, value in entry.items() if value is not None and key in names})
        answers["members"] = members
    return answers


def payload(visit: PaperVisit, uuid: str, form_id: str, version: str, answers: dict) -> dict:
    """The record a phone would have sent for this interview: visited at noon of the paper's day, with no
    start and finish times (the interview's length is not known, so it is not judged)."""
    noon = datetime.combine(visit.day, time(12), tzinfo=local_zone()).astimezone(timezone.utc)
    return {
        "uuid": uuid,
        "outcome": "interviewed",
        "household_id": visit.household.id,
        "visited_at": noon.isoformat().replace("+00:00", "Z"),
        "form_id": form_id,
        "form_version": version,
        "answers": answers,
    }


def store(visit: PaperVisit, uuid: str, form_id: str, version: str, answers: dict, keyer: User) -> Receipt:
    """Store a keyed-in questionnaire through the sync core, on the interviewer's behalf.

    A ward admin keys in with their own authority (the ward), as when they accept a quarantined record; a
    team leader or surveyor as the interviewer of their own team, so a UUID of another team's record is
    refused as if their phone had sent it."""
    reviewer = keyer if keyer.role == Role.WARD_ADMIN else None
    submitter = Submitter(
        ward_id=keyer.ward_id,
        user=visit.surveyor,
        team_id=visit.surveyor.survey_team_id,
        channel=Channel.PAPER.value,
        reviewer=reviewer,
    )
    receipt = ingest(payload(visit, uuid, form_id, version, answers), submitter)
    if receipt.status == 201 or receipt.result == "quarantined":
        stored = receipt.status == 201
        audit(
            ACTION,
            user=keyer,
            ward_id=keyer.ward_id,
            object_type="submissions" if stored else "quarantined_submissions",
            object_id=receipt.submission_id if stored else receipt.quarantine_id,
            detail={
                "surveyor_id": visit.surveyor.id,
                "household_id": visit.household.id,
                "paper_date": visit.day.isoformat(),
                "result": receipt.result,
            },
        )
    return receipt


def stored_submission(user: User, value) -> Submission | None:
    """The paper submission just stored (named in the page's URL), if the user may see it."""
    key = _id(value)
    if key is None:
        return None
    return db.session.execute(
        sa.select(Submission).where(Submission.id == key, Submission.channel == Channel.PAPER, visible(Submission, user))
    ).scalar_one_or_none()


@dataclass
class KeyedIn:
    """Who keyed a paper questionnaire in, when, and the date on the paper."""

    keyer_name: str
    keyed_at: datetime
    day: date | None


def keyed_in(submission: Submission) -> KeyedIn | None:
    """How a submission entered from paper was keyed in (its audit event, or its quarantined record's)."""
    if submission.channel != Channel.PAPER:
        return None
    quarantined = sa.select(sa.cast(QuarantinedSubmission.id, sa.String)).where(
        QuarantinedSubmission.ward_id == submission.ward_id, QuarantinedSubmission.submission_id == submission.id
    )
    event = db.session.execute(
        sa.select(AuditEvent)
        .where(
            AuditEvent.ward_id == submission.ward_id,
            AuditEvent.action == ACTION,
            sa.or_(
                sa.and_(AuditEvent.object_type == "submissions", AuditEvent.object_id == str(submission.id)),
                sa.and_(AuditEvent.object_type == "quarantined_submissions", AuditEvent.object_id.in_(quarantined)),
            ),
        )
        .order_by(AuditEvent.id)
        .limit(1)
    ).scalar_one_or_none()
    if event is None:
        return None
    keyer = db.session.get(User, event.user_id) if event.user_id else None
    try:
        day = date.fromisoformat((event.detail or {}).get("paper_date") or "")
    except ValueError:
        day = None
    return KeyedIn(keyer.full_name if keyer else "?", event.created_at, day)
