"""The ward admin's onboarding checklist: from an empty ward to the first stored submission.

Each step is counted from the data itself (nothing to tick by hand but "households at the door"),
and links to the page where it is done.
"""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa
from flask import url_for
from flask_babel import format_decimal as n
from flask_babel import gettext as _

from survey_app.access import TEAM_ROLES
from survey_app.accounts.models import User, UserSession
from survey_app.clock import local_today
from survey_app.collection.models import Household, Submission
from survey_app.extensions import db
from survey_app.formdefs.ids import HOUSEHOLD_FORM
from survey_app.formdefs.queries import current_form
from survey_app.teams.models import Assignment, EnrollmentToken, SurveyTeam
from survey_app.wards.models import ResidentialGroup, Ward


@dataclass
class Step:
    key: str
    title: str
    done: bool
    detail: str
    url: str
    action: str
    #: Offer "we register households at the door" (only while the ward has no household list).
    door_toggle: bool = False


def _count(model, *where) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(model).where(*where)) or 0


def steps(ward: Ward) -> list[Step]:
    """The steps of going live, in order, each with its counts and where to do it."""
    groups = _count(ResidentialGroup, ResidentialGroup.ward_id == ward.id)
    listed, at_door = db.session.execute(
        sa.select(
            sa.func.count().filter(Household.list_key.is_not(None)), sa.func.count().filter(Household.list_key.is_(None))
        ).where(Household.ward_id == ward.id)
    ).one()
    is_member = sa.and_(User.ward_id == ward.id, User.role.in_(TEAM_ROLES), User.active.is_(True))
    signed_up = sa.or_(User.id.in_(sa.select(EnrollmentToken.user_id)), User.id.in_(sa.select(UserSession.user_id)))
    members, in_team, carded = db.session.execute(
        sa.select(
            sa.func.count(), sa.func.count().filter(User.survey_team_id.is_not(None)), sa.func.count().filter(signed_up)
        ).where(is_member)
    ).one()
    teams = _count(SurveyTeam, SurveyTeam.ward_id == ward.id)
    assigned = (
        db.session.scalar(
            sa.select(sa.func.count(sa.distinct(Assignment.residential_group_id))).where(
                Assignment.ward_id == ward.id, Assignment.current_clause(local_today())
            )
        )
        or 0
    )
    form = current_form(ward.id, HOUSEHOLD_FORM)
    submissions = _count(Submission, Submission.ward_id == ward.id)
    return [
        Step(
            "groups",
            _("Residential groups imported"),
            groups > 0,
            _("%(count)s groups", count=n(groups)),
            url_for("teams.import_upload", kind="groups"),
            _("Import groups"),
        ),
        Step(
            "households",
            _("Households imported (or collected at the door)"),
            listed > 0 or ward.households_at_door,
            _("%(listed)s from the list, %(door)s registered at the door", listed=n(listed), door=n(at_door))
            + (" · " + _("this ward registers households at the door") if ward.households_at_door else ""),
            url_for("teams.import_upload", kind="households"),
            _("Import households"),
            door_toggle=listed == 0 or ward.households_at_door,
        ),
        Step(
            "people",
            _("People imported"),
            members > 0,
            _("%(count)s team leaders and surveyors", count=n(members)),
            url_for("teams.import_upload", kind="people"),
            _("Import people"),
        ),
        Step(
            "teams",
            _("Teams split and assigned"),
            teams > 0 and groups > 0 and assigned >= groups and in_team == members and members > 0,
            _(
                "%(teams)s survey teams; %(assigned)s of %(groups)s groups assigned; %(placed)s of %(members)s people in a team",
                teams=n(teams),
                assigned=n(assigned),
                groups=n(groups),
                placed=n(in_team),
                members=n(members),
            ),
            url_for("teams.team_list"),
            _("Split and assign"),
        ),
        Step(
            "cards",
            _("QR cards printed"),
            members > 0 and carded >= members,
            _("%(done)s of %(members)s people have a card or have signed in", done=n(carded), members=n(members)),
            url_for("teams.team_list"),
            _("Print cards"),
        ),
        Step(
            "form",
            _("Form published"),
            form is not None,
            (
                _("version %(version)s (the ward's own)", version=form.version)
                if form is not None and form.origin == "ward"
                else _("version %(version)s (the standard form)", version=form.version)
            )
            if form is not None
            else _("no form"),
            url_for("formdefs.index"),
            _("Forms"),
        ),
        Step(
            "submission",
            _("First submission received"),
            submissions > 0,
            _("%(count)s submissions", count=n(submissions)),
            url_for("collection.submissions"),
            _("Review"),
        ),
    ]
