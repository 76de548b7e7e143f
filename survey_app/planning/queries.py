"""Reads for planning: interviewed people, trainers, groups, and the stored plan for its pages."""

from __future__ import annotations

from collections.abc import Iterator

import sqlalchemy as sa

from survey_app.access import team_group_ids, visible
from survey_app.accounts.models import CITY_ROLES, Role, User
from survey_app.clock import local_today
from survey_app.collection.models import Household, ReviewStatus, Submission
from survey_app.extensions import db
from survey_app.formdefs.ids import HOUSEHOLD_FORM
from survey_app.planning import classes as cl
from survey_app.planning.models import PlanClass, PlanLearner, TrainingPlan
from survey_app.planning.planner import Interviewed
from survey_app.teams.models import Assignment, StandingTeam, StandingTeamKind, SurveyTeam
from survey_app.wards.models import ResidentialGroup, Ward


def _latest_submissions(ward_id: int, form_id: str):
    """Each household's latest submission that was not rejected (a submission without a household stands alone).

    The window runs over ids and times only; the answers are joined afterwards, so the sort stays light.
    """
    household = sa.func.coalesce(Submission.household_id, -Submission.id)
    ranked = (
        sa.select(
            Submission.id,
            sa.func.row_number()
            .over(partition_by=household, order_by=(Submission.received_at.desc(), Submission.id.desc()))
            .label("rank"),
        )
        .where(Submission.ward_id == ward_id, Submission.form_id == form_id, Submission.review_status != ReviewStatus.REJECTED)
        .subquery()
    )
    return (
        sa.select(
            Submission.id,
            Submission.form_version,
            Submission.answers,
            sa.func.coalesce(Submission.residential_group_id, Household.residential_group_id).label("group_id"),
        )
        .join(ranked, ranked.c.id == Submission.id)
        .outerjoin(Household, Household.id == Submission.household_id)
        .where(ranked.c.rank == 1)
        .order_by(Submission.id)
    )


def interviewed_people(ward_id: int, form_id: str = HOUSEHOLD_FORM) -> Iterator[Interviewed]:
    """Every member of every interviewed household, with the household's answers and group.

    A person is identified by (submission_id, line_no), line_no being the position in
    ``answers["members"]`` from 1. The group is the submission's, else the household's, else the
    group whose code is in a1_group; members of a submission with no known group are left out.
    """
    codes = dict(
        db.session.execute(sa.select(ResidentialGroup.code, ResidentialGroup.id).where(ResidentialGroup.ward_id == ward_id)).all()
    )
    for submission_id, version, answers, group_id in db.session.execute(_latest_submissions(ward_id, form_id)):
        if not isinstance(answers, dict):
            continue
        group_id = group_id or codes.get(answers.get("a1_group"))
        members = answers.get("members")
        if group_id is None or not isinstance(members, list):
            continue
        for line_no, member in enumerate(members, start=1):
            if isinstance(member, dict):
                yield Interviewed((submission_id, line_no), group_id, member, answers, version)


def answered_households(ward_id: int, form_id: str = HOUSEHOLD_FORM) -> int:
    """How many households have an answer set that counts (for the "no answers yet" notice)."""
    return db.session.scalar(
        sa.select(sa.func.count(sa.distinct(sa.func.coalesce(Submission.household_id, -Submission.id)))).where(
            Submission.ward_id == ward_id, Submission.form_id == form_id, Submission.review_status != ReviewStatus.REJECTED
        )
    )


def plan_groups(ward_id: int) -> list[cl.Group]:
    rows = db.session.execute(
        sa.select(ResidentialGroup.id, ResidentialGroup.code, ResidentialGroup.centroid_lat, ResidentialGroup.centroid_lon)
        .where(ResidentialGroup.ward_id == ward_id)
        .order_by(ResidentialGroup.code)
    ).all()
    return [cl.Group(*row) for row in rows]


def team_trainers(ward_id: int, capacity: int) -> list[tuple[cl.Trainer, str]]:
    """Members of the community digital team (survey teams under such a standing team), with their names."""
    users = db.session.execute(
        sa.select(User.id, User.full_name, User.survey_team_id)
        .join(SurveyTeam, SurveyTeam.id == User.survey_team_id)
        .join(StandingTeam, StandingTeam.id == SurveyTeam.standing_team_id)
        .where(
            User.ward_id == ward_id,
            User.active.is_(True),
            User.role.not_in(CITY_ROLES),
            StandingTeam.kind == StandingTeamKind.COMMUNITY_DIGITAL,
        )
        .order_by(User.id)
    ).all()
    covered = {}
    for team_id, group_id in db.session.execute(
        sa.select(Assignment.survey_team_id, Assignment.residential_group_id)
        .where(Assignment.ward_id == ward_id, Assignment.current_clause(local_today()))
        .order_by(Assignment.residential_group_id)
    ):
        covered.setdefault(team_id, []).append(group_id)
    return [(cl.Trainer(f"u:{uid}", capacity, None, (), tuple(covered.get(team_id, ()))), name) for uid, name, team_id in users]


def ward_plan(ward_id: int) -> TrainingPlan | None:
    return db.session.execute(sa.select(TrainingPlan).where(TrainingPlan.ward_id == ward_id)).scalar_one_or_none()


def plan_classes(plan: TrainingPlan, user: User, module: str | None = None, group_id: int | None = None):
    """Classes of the plan the user may see, with their learner counts, in programme order."""
    size = sa.select(sa.func.count()).where(PlanLearner.plan_class_id == PlanClass.id).correlate(PlanClass).scalar_subquery()
    query = (
        sa.select(PlanClass, size.label("size"))
        .where(PlanClass.plan_id == plan.id, visible(PlanClass, user))
        .order_by(PlanClass.session, PlanClass.module, PlanClass.venue_group_id, PlanClass.time_slot, PlanClass.id)
    )
    if module:
        query = query.where(PlanClass.module == module)
    if group_id:
        query = query.where(PlanClass.venue_group_id == group_id)
    return db.session.execute(query).all()


def visible_group_ids(user: User, ward_id: int) -> set[int]:
    """Residential groups whose people the user may see in the plan's lists."""
    query = sa.select(ResidentialGroup.id).where(ResidentialGroup.ward_id == ward_id)
    if user.role in (Role.TEAM_LEADER, Role.SURVEYOR):
        query = query.where(ResidentialGroup.id.in_(team_group_ids(user.survey_team_id)))
    return set(db.session.scalars(query))


def group_invitations(plan: TrainingPlan, group_id: int):
    """Learners of one residential group with their class and address, for the printed invitation list."""
    return db.session.execute(
        sa.select(PlanLearner, PlanClass, Household.address)
        .join(PlanClass, PlanClass.id == PlanLearner.plan_class_id)
        .join(Submission, Submission.id == PlanLearner.submission_id)
        .outerjoin(Household, Household.id == Submission.household_id)
        .where(PlanLearner.plan_id == plan.id, PlanLearner.residential_group_id == group_id)
        .order_by(PlanLearner.full_name, PlanLearner.submission_id, PlanLearner.line_no, PlanClass.session)
    ).all()


def sibling_classes(plan_class: PlanClass):
    """Other unlocked classes of the same module in the plan (targets for moves and merges)."""
    size = sa.select(sa.func.count()).where(PlanLearner.plan_class_id == PlanClass.id).correlate(PlanClass).scalar_subquery()
    return db.session.execute(
        sa.select(PlanClass, size.label("size"))
        .where(
            PlanClass.plan_id == plan_class.plan_id,
            PlanClass.module == plan_class.module,
            PlanClass.id != plan_class.id,
            PlanClass.locked.is_(False),
        )
        .order_by(PlanClass.venue_group_id, PlanClass.time_slot, PlanClass.id)
    ).all()


def class_sizes(plan_id: int) -> dict[int, int]:
    return dict(
        db.session.execute(
            sa.select(PlanLearner.plan_class_id, sa.func.count())
            .where(PlanLearner.plan_id == plan_id)
            .group_by(PlanLearner.plan_class_id)
        ).all()
    )


def group_names(ward_id: int) -> dict[int, ResidentialGroup]:
    return {
        g.id: g
        for g in db.session.scalars(
            sa.select(ResidentialGroup).where(ResidentialGroup.ward_id == ward_id).order_by(ResidentialGroup.code)
        )
    }


def city_plans(user: User):
    """Wards the user may see, each with its plan (or None), for city viewers."""
    return db.session.execute(
        sa.select(Ward, TrainingPlan)
        .outerjoin(TrainingPlan, TrainingPlan.ward_id == Ward.id)
        .where(visible(Ward, user))
        .order_by(Ward.name)
    ).all()


def group_learner_counts(plan_id: int) -> dict[int, int]:
    """Places in classes per residential group of the learners."""
    return dict(
        db.session.execute(
            sa.select(PlanLearner.residential_group_id, sa.func.count())
            .where(PlanLearner.plan_id == plan_id)
            .group_by(PlanLearner.residential_group_id)
        ).all()
    )
