"""Every model, imported in one place so the metadata is complete (Alembic, tests, shell)."""

import survey_app.dashboard.models  # noqa: F401  (derived indicator rows)
import survey_app.exports.models  # noqa: F401  (export jobs)
import survey_app.formdefs.models  # noqa: F401  (form versions)
import survey_app.jobs.models  # noqa: F401  (the worker's jobs)
import survey_app.odata.models  # noqa: F401  (personal API tokens for the OData feed)
import survey_app.openrosa.models  # noqa: F401  (ODK Collect devices and XML instances)
import survey_app.planning.models  # noqa: F401  (training plans)
import survey_app.rounds.models  # noqa: F401  (adults' figures of closed survey rounds)
import survey_app.sync.outbox  # noqa: F401  (changes for the worker to derive from)
import survey_app.sync.refused  # noqa: F401  (copies of refused records)
import survey_app.training.models  # noqa: F401  (sessions of classes held, attendance)
from survey_app.accounts.models import LoginFailure, Role, User
from survey_app.audit.models import AuditEvent
from survey_app.collection.models import (
    Channel,
    Household,
    HouseholdStatus,
    Person,
    ReviewStatus,
    Sex,
    Submission,
    Visit,
    VisitOutcome,
)
from survey_app.support.models import SupportEvent, SupportOutcome, SupportPlace, SupportType
from survey_app.teams.models import Assignment, StandingTeam, StandingTeamKind, SurveyTeam
from survey_app.wards.models import City, ResidentialGroup, Ward, WardKind

__all__ = [
    "Assignment",
    "AuditEvent",
    "Channel",
    "City",
    "Household",
    "HouseholdStatus",
    "LoginFailure",
    "Person",
    "ResidentialGroup",
    "ReviewStatus",
    "Role",
    "Sex",
    "StandingTeam",
    "StandingTeamKind",
    "Submission",
    "SupportEvent",
    "SupportOutcome",
    "SupportPlace",
    "SupportType",
    "SurveyTeam",
    "User",
    "Visit",
    "VisitOutcome",
    "Ward",
    "WardKind",
]
