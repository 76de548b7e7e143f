"""Row generators for the exports: each streams one table of the scope from a server-side cursor.

Every query is limited to the scope's ward and residential groups and to what the viewer may
see (`access.visible`). Small lookups (groups, teams, users) are read into dicts first; the large
tables (households, persons, visits, support events, learners) are streamed in batches of
`YIELD_PER` rows and never held in memory whole.
"""

from __future__ import annotations

from collections.abc import Iterator

import sqlalchemy as sa
from sqlalchemy.orm import aliased

from survey_app.access import visible
from survey_app.accounts.models import User
from survey_app.collection.models import Household, Person, ReviewStatus, Submission, SubmissionVersion, Visit
from survey_app.dashboard.models import PersonIndicator
from survey_app.exports import answers as answer_rules
from survey_app.exports import privacy
from survey_app.exports.spec import Scope
from survey_app.extensions import db
from survey_app.formdefs.ids import HOUSEHOLD_FORM
from survey_app.formdefs.queries import merged_export_layout
from survey_app.planning.models import PlanClass, PlanLearner, TrainingPlan
from survey_app.support.models import SupportEvent, SupportType, support_event_types
from survey_app.teams.models import SurveyTeam
from survey_app.wards.models import ResidentialGroup

YIELD_PER = 2000
#: Smaller batches for rows carrying a household's answer set (a few kB of JSON each).
YIELD_PER_ANSWERS = 500


def scoped(model, scope: Scope, group_column=None) -> list:
    """WHERE clauses: the scope's ward, what the viewer may see, and the chosen groups."""
    clauses = [model.ward_id == scope.ward_id, visible(model, scope.viewer)]
    if group_column is not None:
        clauses.append(group_column.in_(scope.group_ids))
    return clauses


def stream(statement, batch: int = YIELD_PER) -> Iterator[sa.Row]:
    """Rows of `statement` in batches from a server-side cursor; the cursor is closed even on error."""
    result = db.session.execute(statement.execution_options(stream_results=True, yield_per=batch))
    try:
        yield from result
    finally:
        result.close()


def stream_batches(statement, batch: int = YIELD_PER) -> Iterator[list[sa.Row]]:
    """Like `stream`, a list of rows at a time (to read what the rows point to in one query per batch)."""
    result = db.session.execute(statement.execution_options(stream_results=True, yield_per=batch))
    try:
        yield from (list(partition) for partition in result.partitions())
    finally:
        result.close()


def count(statement) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(statement.order_by(None).subquery())) or 0


# ---------------------------------------------------------------- lookups (small)


def group_codes(scope: Scope) -> dict[int, str]:
    """Code of every residential group of the ward (a row may point to a group outside the selection)."""
    return dict(
        db.session.execute(
            sa.select(ResidentialGroup.id, ResidentialGroup.code).where(ResidentialGroup.ward_id == scope.ward_id)
        ).all()
    )


def team_numbers(scope: Scope) -> dict[int, int]:
    return dict(db.session.execute(sa.select(SurveyTeam.id, SurveyTeam.number).where(SurveyTeam.ward_id == scope.ward_id)).all())


def user_names(scope: Scope) -> dict[int, str]:
    """Names of the ward's staff and volunteers (only read for exports that may show names)."""
    return dict(db.session.execute(sa.select(User.id, User.full_name).where(User.ward_id == scope.ward_id)).all())


def user_phones(scope: Scope) -> dict[int, str]:
    return dict(
        db.session.execute(sa.select(User.id, User.phone).where(User.ward_id == scope.ward_id, User.phone.is_not(None))).all()
    )


def member_count(scope: Scope) -> int:
    """Survey team members the viewer may see (for the progress bar)."""
    return (
        db.session.scalar(
            sa.select(sa.func.count())
            .select_from(User)
            .where(User.ward_id == scope.ward_id, User.survey_team_id.is_not(None), visible(User, scope.viewer))
        )
        or 0
    )


def support_counts(scope: Scope) -> dict[int, int]:
    """Support events per volunteer, in the chosen groups."""
    return dict(
        db.session.execute(
            sa.select(SupportEvent.volunteer_id, sa.func.count())
            .where(*scoped(SupportEvent, scope, SupportEvent.residential_group_id))
            .group_by(SupportEvent.volunteer_id)
        ).all()
    )


# ---------------------------------------------------------------- households and persons


def latest_submissions(scope: Scope):
    """Subquery: id of each household's latest household-form submission that was not rejected."""
    return (
        sa.select(Submission.household_id, sa.func.max(Submission.id).label("submission_id"))
        .where(
            Submission.ward_id == scope.ward_id,
            Submission.household_id.is_not(None),
            Submission.form_id == HOUSEHOLD_FORM,
            Submission.review_status != ReviewStatus.REJECTED,
        )
        .group_by(Submission.household_id)
        .subquery()
    )


def households(scope: Scope):
    """Households with their visit count, last visit and latest submission (answers as stored)."""
    visits = (
        sa.select(Visit.household_id, sa.func.count().label("visits"), sa.func.max(Visit.visited_at).label("last"))
        .where(Visit.ward_id == scope.ward_id)
        .group_by(Visit.household_id)
        .subquery()
    )
    latest = latest_submissions(scope)
    return (
        sa.select(
            Household.id,
            Household.residential_group_id,
            Household.address,
            Household.head_name,
            Household.status,
            sa.func.coalesce(visits.c.visits, 0),
            visits.c.last,
            Submission.id,
            Submission.form_version,
            Submission.channel,
            Submission.review_status,
            Submission.received_at,
            Submission.answers,
        )
        .join(ResidentialGroup, ResidentialGroup.id == Household.residential_group_id)
        .outerjoin(visits, visits.c.household_id == Household.id)
        .outerjoin(latest, latest.c.household_id == Household.id)
        .outerjoin(Submission, Submission.id == latest.c.submission_id)
        .where(*scoped(Household, scope, Household.residential_group_id))
        .order_by(ResidentialGroup.code, Household.id)
    )


def raw_json(column):
    """A JSON column as the driver gives it (text on SQLite), for callers that parse each document once."""
    return sa.type_coerce(column, sa.Text)


def persons(scope: Scope):
    """Household members in roster order, with the submission that recorded them and their level.

    The household's answers come once per member; they are left unparsed (`raw_json`) so the
    sheet parses each household's document once, not once per member.
    """
    return (
        sa.select(
            Person.id,
            Person.household_id,
            Person.residential_group_id,
            Person.line_no,
            Person.full_name,
            Person.birth_year,
            Person.sex,
            Person.submission_id,
            Submission.form_version,
            Person.answer_index,
            PersonIndicator.level,
            raw_json(Submission.answers),
        )
        .join(ResidentialGroup, ResidentialGroup.id == Person.residential_group_id)
        .outerjoin(Submission, Submission.id == Person.submission_id)
        .outerjoin(
            PersonIndicator,
            sa.and_(PersonIndicator.submission_id == Person.submission_id, PersonIndicator.member_index == Person.answer_index),
        )
        .where(*scoped(Person, scope, Person.residential_group_id))
        .order_by(ResidentialGroup.code, Person.household_id, Person.line_no, Person.id)
    )


# ---------------------------------------------------------------- visits and support


def visits(scope: Scope):
    return (
        sa.select(
            Visit.id,
            Visit.household_id,
            Visit.residential_group_id,
            Visit.survey_team_id,
            Visit.surveyor_id,
            Visit.outcome,
            Visit.visited_at,
            Visit.latitude,
            Visit.longitude,
            Visit.accuracy_m,
            Visit.submission_id,
        )
        .where(*scoped(Visit, scope, Visit.residential_group_id))
        .order_by(Visit.visited_at, Visit.id)
    )


def versions(scope: Scope):
    """Every version of the scope's corrected submissions (a submission never corrected has none)."""
    return (
        sa.select(
            SubmissionVersion.submission_id,
            Submission.household_id,
            Submission.residential_group_id,
            SubmissionVersion.number,
            SubmissionVersion.source,
            SubmissionVersion.created_at,
            SubmissionVersion.author_id,
            SubmissionVersion.reason,
            SubmissionVersion.answers,
        )
        .join(Submission, Submission.id == SubmissionVersion.submission_id)
        .where(*scoped(Submission, scope, Submission.residential_group_id))
        .order_by(SubmissionVersion.submission_id, SubmissionVersion.number)
    )


def support_events(scope: Scope):
    return (
        sa.select(
            SupportEvent.id,
            SupportEvent.occurred_at,
            SupportEvent.residential_group_id,
            SupportEvent.survey_team_id,
            SupportEvent.volunteer_id,
            SupportEvent.household_id,
            SupportEvent.person_id,
            SupportEvent.anon_age_group,
            SupportEvent.anon_sex,
            SupportEvent.place,
            SupportEvent.outcome,
            SupportEvent.minutes,
            SupportEvent.follow_up_of_id,
            SupportEvent.other_text,
        )
        .where(*scoped(SupportEvent, scope, SupportEvent.residential_group_id))
        .order_by(SupportEvent.occurred_at, SupportEvent.id)
    )


def support_types(scope: Scope) -> dict[int, tuple[str, str, str]]:
    """The ward's support types: id -> (code, name_vi, name_en)."""
    return {
        row.id: (row.code, row.name_vi, row.name_en)
        for row in db.session.execute(
            sa.select(SupportType.id, SupportType.code, SupportType.name_vi, SupportType.name_en).where(
                SupportType.ward_id == scope.ward_id
            )
        )
    }


def event_types(event_ids: list[int]) -> dict[int, list[int]]:
    """Support type ids of a batch of events."""
    found: dict[int, list[int]] = {}
    table = support_event_types
    for event_id, type_id in db.session.execute(
        sa.select(table.c.support_event_id, table.c.support_type_id)
        .where(table.c.support_event_id.in_(event_ids))
        .order_by(table.c.support_event_id, table.c.support_type_id)
    ):
        found.setdefault(event_id, []).append(type_id)
    return found


# ---------------------------------------------------------------- training plan


def plan(scope: Scope) -> TrainingPlan | None:
    return db.session.execute(sa.select(TrainingPlan).where(TrainingPlan.ward_id == scope.ward_id)).scalar_one_or_none()


def plan_classes(scope: Scope, plan_id: int):
    """Classes held in the chosen groups, with their size and the Person row of a resident trainer."""
    size = sa.select(sa.func.count()).where(PlanLearner.plan_class_id == PlanClass.id).correlate(PlanClass).scalar_subquery()
    trainer = aliased(Person)
    return (
        sa.select(
            PlanClass.id,
            PlanClass.session,
            PlanClass.module,
            PlanClass.venue_group_id,
            ResidentialGroup.venue_name,
            PlanClass.time_slot,
            PlanClass.level_band,
            PlanClass.trainer_user_id,
            PlanClass.trainer_submission_id,
            PlanClass.trainer_line_no,
            PlanClass.trainer_name,
            PlanClass.locked,
            size,
            trainer.id,
        )
        .join(ResidentialGroup, ResidentialGroup.id == PlanClass.venue_group_id)
        .outerjoin(
            trainer,
            sa.and_(
                trainer.submission_id == PlanClass.trainer_submission_id, trainer.answer_index == PlanClass.trainer_line_no - 1
            ),
        )
        .where(PlanClass.plan_id == plan_id, *scoped(PlanClass, scope, PlanClass.venue_group_id))
        .order_by(PlanClass.session, PlanClass.module, ResidentialGroup.code, PlanClass.time_slot, PlanClass.id)
    )


def plan_learners(scope: Scope, plan_id: int):
    """Learners with their class and the Person row that recorded them (for a stable reference)."""
    return (
        sa.select(
            PlanLearner.plan_class_id,
            PlanLearner.module,
            PlanLearner.residential_group_id,
            Person.id,
            PlanLearner.submission_id,
            PlanLearner.line_no,
            PlanLearner.full_name,
            PlanLearner.level,
            PlanLearner.asked,
            PlanLearner.priority,
            PlanLearner.reasons,
            PlanClass.session,
            PlanClass.time_slot,
        )
        .join(PlanClass, PlanClass.id == PlanLearner.plan_class_id)
        .join(ResidentialGroup, ResidentialGroup.id == PlanLearner.residential_group_id)
        .outerjoin(
            Person, sa.and_(Person.submission_id == PlanLearner.submission_id, Person.answer_index == PlanLearner.line_no - 1)
        )
        .where(PlanLearner.plan_id == plan_id, *scoped(PlanLearner, scope, PlanLearner.residential_group_id))
        .order_by(ResidentialGroup.code, PlanLearner.plan_class_id, PlanLearner.full_name, PlanLearner.id)
    )


# ---------------------------------------------------------------- for other capabilities (the OData feed)
# survey_app/odata reads what the exports read, through these: the same scope, the same answer rules,
# the same pseudonyms (Scope.ref) and the same repeat keys.


def scope_for(actor: User, ward_id: int):
    """(scope, None) of every group `actor` may export in a ward, as the export page resolves it, or
    (None, the refusal: an ExportError with its message and status)."""
    from survey_app.exports import operations  # it reads this module: imported when asked

    try:
        return operations.resolve_scope(actor, ward_id=ward_id), None
    except operations.ExportError as refused:
        return None, refused


def answer_sections(scope: Scope) -> list[dict]:
    """The household form's export layout merged over its versions: its sections (the top, then each
    repeat with its `parent`), each with only the questions the scope may carry (answers.kept)."""
    layout = merged_export_layout(scope.ward_id, HOUSEHOLD_FORM)
    return [
        {**section, "fields": [item for item in section["fields"] if answer_rules.kept(item, scope)]}
        for section in (layout["sections"] if layout else [])
    ]


def repeat_entries(answers, path: tuple[str, ...]):
    """(steps, entry) of every entry of the repeat at `path` in an answer set (repeats.entries)."""
    from survey_app.exports import repeats

    return repeats.entries(answers, path)


def entry_key(submission_id, steps) -> str:
    """An entry's KEY as the exports write it ("812/members[2]")."""
    from survey_app.exports import repeats

    return repeats.entry_key(submission_id, steps)


def age_band(birth_year, survey_year) -> str | None:
    return privacy.age_band(birth_year, survey_year)


#: Pseudonym kinds of the exports (sheets.py): households, users.
HOUSEHOLD_REF, USER_REF = "H", "U"
