"""Reading support data: the catalogue, follow-ups still open, and what the phone caches offline.

The figures for reports are in figures.py (`support_figures`).
"""

from __future__ import annotations

import sqlalchemy as sa
from flask_babel import get_locale
from flask_babel import gettext as _
from sqlalchemy.orm import aliased, selectinload

from survey_app.access import team_group_ids, visible
from survey_app.accounts.models import User
from survey_app.collection.models import Household, Person
from survey_app.extensions import db
from survey_app.support.models import SupportEvent, SupportOutcome, SupportType, support_event_types
from survey_app.wards.models import ResidentialGroup, Ward

#: Most closed follow-ups listed at once (the newest).
CLOSED_LIMIT = 200


def current_lang() -> str:
    return "en" if str(get_locale() or "vi").startswith("en") else "vi"


def catalogue(ward_id: int, *, active_only: bool = False) -> list[SupportType]:
    """The ward's kinds of help in display order, retired ones included unless `active_only`."""
    query = sa.select(SupportType).where(SupportType.ward_id == ward_id)
    if active_only:
        query = query.where(SupportType.retired_at.is_(None))
    return list(db.session.scalars(query.order_by(SupportType.sort_order, SupportType.code)))


def helped_members(submission_ids=(), ward_id: int | None = None) -> dict[tuple[int, int], list]:
    """The acts of help done (outcome "done") for the members these household submissions recorded, or
    for every member of a ward: (submission id, member position) -> [(kind of help code, when)]."""
    query = (
        sa.select(Person.submission_id, Person.answer_index, SupportType.code, SupportEvent.occurred_at)
        .join(Person, Person.id == SupportEvent.person_id)
        .join(support_event_types, support_event_types.c.support_event_id == SupportEvent.id)
        .join(SupportType, SupportType.id == support_event_types.c.support_type_id)
        .where(SupportEvent.outcome == SupportOutcome.DONE, Person.answer_index.is_not(None))
    )
    chunks = [None] if ward_id is not None else [sorted(submission_ids)[i : i + 500] for i in range(0, len(submission_ids), 500)]
    found: dict = {}
    for chunk in chunks:
        where = SupportEvent.ward_id == ward_id if chunk is None else Person.submission_id.in_(chunk)
        for submission_id, index, code, when in db.session.execute(query.where(where)):
            found.setdefault((submission_id, index), []).append((code, when))
    return found


def helped_by_ward(ward_ids) -> dict[int, int]:
    """People helped per ward of `ward_ids` (a list or a subquery): each surveyed person once, each
    anonymous event as one person."""
    people = sa.func.count(sa.distinct(SupportEvent.person_id)) + sa.func.count().filter(SupportEvent.person_id.is_(None))
    return dict(
        db.session.execute(
            sa.select(SupportEvent.ward_id, people).where(SupportEvent.ward_id.in_(ward_ids)).group_by(SupportEvent.ward_id)
        ).all()
    )


def age_group_labels() -> dict:
    return {"15_24": "15–24", "25_39": "25–39", "40_59": "40–59", "60_74": "60–74", "75_plus": _("75 or over")}


def sex_labels() -> dict:
    return {"male": _("Male"), "female": _("Female"), "other": _("Other")}


def place_labels() -> dict:
    return {
        "home": _("At home"),
        "community_house": _("At the community house"),
        "service_centre": _("At the Public Service Centre"),
        "other": _("Other place"),
    }


def outcome_labels() -> dict:
    return {"done": _("Done"), "partly": _("Partly done"), "follow_up": _("Needs a follow-up")}


def who_label(event: SupportEvent) -> str:
    """The person helped: their name, or "Anonymous (60–74, female)"."""
    if event.person is not None:
        return event.person.full_name
    if event.anon_age_group is None:  # a member of a household record not linked yet (support/links.py)
        return _("A household member interviewed on the phone (not linked yet)")
    return _(
        "Anonymous (%(age)s, %(sex)s)",
        age=age_group_labels().get(event.anon_age_group, "?"),
        sex=sex_labels().get(event.anon_sex, "?"),
    )


def _closer():
    return aliased(SupportEvent)


def follow_ups(user: User, ward_id: int, *, closed: bool = False, team_id: int | None = None) -> list:
    """Events that needed another visit, open (oldest first) or closed (newest first), as the user may see them.

    A follow-up is closed once a later event names it in follow_up_of_id. Closed rows come back as
    (event, closing event) pairs.
    """
    closer = _closer()
    query = (sa.select(SupportEvent, closer) if closed else sa.select(SupportEvent)).where(
        SupportEvent.ward_id == ward_id, SupportEvent.outcome == SupportOutcome.FOLLOW_UP, visible(SupportEvent, user)
    )
    if team_id is not None:
        query = query.where(SupportEvent.residential_group_id.in_(team_group_ids(team_id)))
    options = (
        selectinload(SupportEvent.types),
        selectinload(SupportEvent.person),
        selectinload(SupportEvent.household),
        selectinload(SupportEvent.residential_group),
        selectinload(SupportEvent.volunteer),
    )
    if closed:
        other = _closer()
        first = (
            sa.select(sa.func.min(other.id))
            .where(other.follow_up_of_id == SupportEvent.id)
            .correlate(SupportEvent)
            .scalar_subquery()
        )
        query = query.join(closer, closer.id == first).order_by(closer.occurred_at.desc(), closer.id.desc())
        return list(db.session.execute(query.options(*options).limit(CLOSED_LIMIT)).all())
    is_open = ~sa.exists().where(closer.follow_up_of_id == SupportEvent.id)
    query = query.where(is_open).order_by(SupportEvent.occurred_at, SupportEvent.id)
    return list(db.session.scalars(query.options(*options)))


def _type_codes(event: SupportEvent) -> list[str]:
    return [t.code for t in event.types]


def phone_follow_up(event: SupportEvent, lang: str, citizen_app: str | None) -> dict:
    """One open follow-up as the phone lists it and pre-fills its next visit."""
    household = event.household
    return {
        "uuid": event.uuid,
        "id": event.id,
        "occurred_at": event.occurred_at.isoformat(),
        "group_id": event.residential_group_id,
        "household_id": event.household_id,
        "person_id": event.person_id,
        "anon_age_group": event.anon_age_group,
        "anon_sex": event.anon_sex,
        "who": who_label(event),
        "address": household.address if household else None,
        "support_types": _type_codes(event),
        "types": [t.label(lang, citizen_app) for t in event.types],
        "support_other": event.other_text,
        "volunteer": event.volunteer.full_name if event.volunteer else None,
    }


def _team_groups(user: User) -> list[ResidentialGroup]:
    if not user.survey_team_id:
        return []
    return list(
        db.session.scalars(
            sa.select(ResidentialGroup)
            .where(ResidentialGroup.id.in_(team_group_ids(user.survey_team_id)))
            .order_by(ResidentialGroup.code)
        )
    )


def _surveyed_people(user: User, group_ids: list[int]) -> dict[int, list[dict]]:
    """Per group, the households with members recorded by a survey, each with those members' ids."""
    rows = db.session.execute(
        sa.select(
            Person.id,
            Person.full_name,
            Person.birth_year,
            Person.sex,
            Person.residential_group_id,
            Household.id,
            Household.address,
            Household.head_name,
        )
        .join(Household, Household.id == Person.household_id)
        .where(Person.residential_group_id.in_(group_ids), Person.submission_id.is_not(None), visible(Person, user))
        .order_by(Household.id, Person.line_no)
    ).all()
    groups: dict[int, dict[int, dict]] = {}
    for person_id, name, year, sex, group_id, household_id, address, head in rows:
        households = groups.setdefault(group_id, {})
        entry = households.setdefault(household_id, {"id": household_id, "address": address, "head_name": head, "people": []})
        entry["people"].append({"id": person_id, "name": name, "birth_year": year, "sex": sex.value if sex else None})
    return {group_id: list(households.values()) for group_id, households in groups.items()}


def phone_data(user: User) -> dict:
    """What the phone's support log caches for a day offline: catalogue, groups with surveyed people, follow-ups."""
    lang, ward = current_lang(), db.session.get(Ward, user.ward_id)
    citizen_app = ward.citizen_app_name if ward else None
    groups = _team_groups(user)
    people = _surveyed_people(user, [g.id for g in groups])
    return {
        "catalogue": [{"code": t.code, "label": t.label(lang, citizen_app)} for t in catalogue(user.ward_id, active_only=True)],
        "groups": [{"id": g.id, "code": g.code, "name": g.name, "households": people.get(g.id, [])} for g in groups],
        "follow_ups": [phone_follow_up(event, lang, citizen_app) for event in follow_ups(user, user.ward_id)],
    }


def acts_by_group(user: User, ward_id: int) -> dict[int, int]:
    """{residential group id: support acts logged} of one ward, as far as `user` may see (for maps)."""
    return dict(
        db.session.execute(
            sa.select(SupportEvent.residential_group_id, sa.func.count())
            .where(SupportEvent.ward_id == ward_id, SupportEvent.residential_group_id.is_not(None), visible(SupportEvent, user))
            .group_by(SupportEvent.residential_group_id)
        ).all()
    )
