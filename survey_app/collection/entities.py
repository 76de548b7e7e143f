"""ODK Entities: the entity lists a ward's forms create and update, and the files later forms read them from.

A form's entities sheet names an entity list and how a submission makes or changes one of its entities
(label, create_if, update_if, entity_id); questions whose `save_to` names a property give its values.
A later form reads the list as the file `<list>.csv` (select_one_from_file, search(), pulldata()): the
server builds its rows from the ward's data each time the form is served, with the rows the user may see.

The list `households` is the ward's household registry (collection.models.Household):

    entity id (`name` column)   the household's id, as text ("42"); an update's entity_id may also give the
                                client UUID of a household registered at the door
    label                       "<head_name> - <address>" in the file; a created household's head_name is the
                                label when no question saves to head_name
    save_to head_name           Household.head_name (120 characters)
    save_to address             Household.address (255)
    save_to phone               Household.phone (20)
    save_to member_count        Household.member_count (a whole number; anything else is not stored)
    group                       the submission's residential group (a new household is made in it)
    households.csv              name, label, head_name, address, phone, member_count, group (the group's code),
                                status

A household created by a submission that registered a new household at the door is that household (its
properties are applied to it), not a second one. Any other list is generic (EntityList, Entity): name (its
uuid), label, __version and one column per property. Both are scoped like households: a team role gets the
entities of its team's groups today, a ward admin the ward's, city roles and the self-survey none.

A submission is applied once: a re-sent record is found by its UUID before it reaches `apply`; a created
entity's id, when the form gives no entity_id, is derived from the submission's UUID and the list's name.
"""

from __future__ import annotations

import dataclasses
import uuid as uuidlib

import sqlalchemy as sa

from survey_app.access import sees_people, visible
from survey_app.audit.operations import record as audit
from survey_app.collection.models import Entity, EntityList, Household, Submission
from survey_app.extensions import db, utcnow
from survey_app.wards.models import ResidentialGroup

HOUSEHOLDS = "households"
#: The columns of households.csv, after name and label.
HOUSEHOLD_COLUMNS = ("head_name", "address", "phone", "member_count", "group", "status")
_LIMITS = {"head_name": 120, "address": 255, "phone": 20}
#: Rows of one served list at most, as for an attached file (a whole ward's households fit).
MAX_ROWS = 20_000
#: Namespace of the ids given to entities a form creates without an entity_id.
_NAMESPACE = uuidlib.UUID("6f1c9d1e-5b8e-4a7e-9d2a-3c6f0e1b2a45")


# ---- the lists and their rows ----------------------------------------------------------------


def list_names(ward_id: int | None) -> set[str]:
    """The ward's generic entity lists (households, the registry, is every ward's)."""
    if ward_id is None:
        return set()
    return set(db.session.execute(sa.select(EntityList.name).where(EntityList.ward_id == ward_id)).scalars())


def ensure_lists(ward_id: int, entities: list[dict]) -> None:
    """Make the generic lists a form's entities sheet declares, so later forms can read them."""
    known = list_names(ward_id)
    for entry in entities:
        if entry["list_name"] != HOUSEHOLDS and entry["list_name"] not in known:
            db.session.add(EntityList(ward_id=ward_id, name=entry["list_name"]))
            known.add(entry["list_name"])
    db.session.flush()


def _readers(user) -> bool:
    return user is not None and getattr(user, "is_authenticated", False) and sees_people(user)


def rows(user, ward_id: int, list_name: str) -> list[dict]:
    """The rows of `<list_name>.csv` the user may read (none for city roles or nobody signed in)."""
    if not _readers(user) or user.ward_id != ward_id:
        return []
    if list_name == HOUSEHOLDS:
        found = db.session.execute(
            sa.select(Household, ResidentialGroup.code)
            .join(ResidentialGroup, ResidentialGroup.id == Household.residential_group_id)
            .where(Household.ward_id == ward_id, visible(Household, user))
            .order_by(Household.id)
            .limit(MAX_ROWS)
        ).all()
        return [
            {
                "name": str(h.id),
                "label": f"{h.head_name} - {h.address}",
                "head_name": h.head_name,
                "address": h.address,
                "phone": h.phone or "",
                "member_count": "" if h.member_count is None else str(h.member_count),
                "group": code,
                "status": h.status.value,
            }
            for h, code in found
        ]
    found = db.session.execute(
        sa.select(Entity)
        .join(EntityList, EntityList.id == Entity.entity_list_id)
        .where(EntityList.ward_id == ward_id, EntityList.name == list_name, visible(Entity, user))
        .order_by(Entity.id)
        .limit(MAX_ROWS)
    ).scalars()
    return [
        {
            "name": e.uuid,
            "label": e.label,
            "__version": str(e.version),
            **{key: str(value) for key, value in (e.properties or {}).items()},
        }
        for e in found
    ]


def served_schema(schema, ward_id: int | None, user):
    """The schema with the rows of its entity list files (households.csv, <list>.csv) for this user:
    the choices of select_*_from_file and the instances of search() and pulldata()."""
    from survey_app.formdefs.attachments import instance_name
    from survey_app.formdefs.schema import Choice

    names = [name for name, kind in schema.files.items() if kind == "entity"]
    if not names:
        return schema
    choices, instances = dict(schema.choices), dict(schema.instances)
    for name in names:
        found = rows(user, ward_id, instance_name(name)) if ward_id is not None else []
        instances[instance_name(name)] = found
        if name in choices:
            choices[name] = [
                Choice(
                    name=row["name"],
                    label={"default": row["label"]},
                    extra={k: v for k, v in row.items() if k not in ("name", "label")},
                )
                for row in found
            ]
    return dataclasses.replace(schema, choices=choices, instances=instances)


def served_form(form, ward_id: int | None, user):
    """A PublishedForm whose schema carries the user's entity rows (the same form when it reads none)."""
    schema = served_schema(form.schema, ward_id, user)
    return form if schema is form.schema else dataclasses.replace(form, schema=schema)


# ---- applying a submission -------------------------------------------------------------------


def _text(value) -> str:
    """An answer as the text an XForm instance holds (6.0 -> "6", a select_multiple's names space-separated)."""
    from survey_app.formdefs.evaluator import to_string

    if value is None:
        return ""
    if isinstance(value, list):
        return " ".join(to_string(v) for v in value)
    return to_string(value)


def _evaluate(source: str | None, context):
    from survey_app.formdefs.expressions import compile_expression

    return None if not source else compile_expression(source).evaluate(context)


def apply(submission: Submission, schema, user, *, household: Household | None, created: bool, today) -> None:
    """Create or update the entities the submission's form declares (its entities sheet), audited."""
    if not schema.entities:
        return
    if user is None:  # the self-survey: a resident's answers change no list
        for entry in schema.entities:
            audit(
                "entity.skipped",
                ward_id=submission.ward_id,
                object_type="submissions",
                object_id=submission.id,
                detail={"list": entry["list_name"], "submission_id": submission.id, "reason": "self_survey"},
            )
        return
    from survey_app.formdefs.evaluator import Context, to_bool, to_string
    from survey_app.formdefs.validation import complete, secondary_instances

    answers = complete(schema, submission.answers or {}, today=today)
    context = Context(values=answers, today=(today.isoformat() if today else None), instances=secondary_instances(schema))
    for entry in schema.entities:
        label = to_string(_evaluate(entry.get("label"), context)).strip() if entry.get("label") else None
        entity_id = to_string(_evaluate(entry.get("entity_id"), context)).strip() if entry.get("entity_id") else ""
        creates = to_bool(_evaluate(entry["create_if"], context)) if "create_if" in entry else "entity_id" not in entry
        updates = (
            to_bool(_evaluate(entry["update_if"], context))
            if "update_if" in entry
            else ("entity_id" in entry and "create_if" not in entry)
        )
        values = {prop: _text(answers.get(question)) for prop, question in entry["properties"].items() if question in answers}
        target = entity_id or str(uuidlib.uuid5(_NAMESPACE, f"{submission.ward_id}/{submission.uuid}/{entry['list_name']}"))
        if entry["list_name"] == HOUSEHOLDS:
            _apply_household(submission, user, entry, target, label, values, creates, updates, household, created)
        else:
            _apply_generic(submission, user, entry, target, label, values, creates, updates)


def _audit(action, user, submission, kind, object_id, entry, target, **detail):
    audit(
        action,
        user=user,
        ward_id=submission.ward_id,
        object_type=kind,
        object_id=object_id,
        detail={"list": entry["list_name"], "entity": target, "submission_id": submission.id, **detail},
    )


def _set_household(household: Household, values: dict, label: str | None) -> None:
    for prop, limit in _LIMITS.items():
        if values.get(prop):
            setattr(household, prop, values[prop][:limit])
    count = values.get("member_count", "")
    if count.strip().lstrip("-").isdigit() and 0 <= int(count) < 1000:
        household.member_count = int(count)
    if label and not values.get("head_name") and not household.head_name:
        household.head_name = label[:120]


def _find_household(submission: Submission, user, target: str) -> Household | None:
    clause = Household.client_uuid == target
    if target.isdigit():
        clause = sa.or_(clause, Household.id == int(target))
    return (
        db.session.execute(sa.select(Household).where(Household.ward_id == submission.ward_id, clause, visible(Household, user)))
        .scalars()
        .first()
    )


def _apply_household(submission, user, entry, target, label, values, creates, updates, household, created):
    existing = _find_household(submission, user, target) if entry.get("entity_id") else None
    if existing is not None and updates:
        _set_household(existing, values, None)
        _audit("entity.updated", user, submission, "households", existing.id, entry, target)
    elif creates and existing is None:
        if created and household is not None:  # the household registered at the door is the entity
            made = household
        else:
            made = db.session.execute(
                sa.select(Household).where(Household.ward_id == submission.ward_id, Household.client_uuid == target)
            ).scalar_one_or_none()
            if made is not None:
                return  # already made from this record
            made = Household(
                ward_id=submission.ward_id,
                residential_group_id=submission.residential_group_id,
                client_uuid=target[:36],
                address=(values.get("address") or "")[:255],
                head_name=(values.get("head_name") or label or "")[:120],
                registered_by_id=user.id,
            )
            db.session.add(made)
        _set_household(made, values, label)
        db.session.flush()
        _audit("entity.created", user, submission, "households", made.id, entry, target)
    elif creates or updates:
        _audit(
            "entity.skipped",
            user,
            submission,
            "households",
            existing.id if existing else None,
            entry,
            target,
            reason="exists" if existing is not None else "not_found",
        )


def _apply_generic(submission, user, entry, target, label, values, creates, updates):
    entity_list = db.session.execute(
        sa.select(EntityList).where(EntityList.ward_id == submission.ward_id, EntityList.name == entry["list_name"])
    ).scalar_one_or_none()
    if entity_list is None:
        entity_list = EntityList(ward_id=submission.ward_id, name=entry["list_name"])
        db.session.add(entity_list)
        db.session.flush()
    query = sa.select(Entity).where(Entity.entity_list_id == entity_list.id, Entity.uuid == target[:64])
    existing = db.session.execute(query).scalar_one_or_none()
    if existing is not None and db.session.execute(query.where(visible(Entity, user))).scalar_one_or_none() is None:
        _audit("entity.skipped", user, submission, "entities", None, entry, target, reason="not_found")
        return
    if existing is not None and updates:
        if label:
            existing.label = label[:255]
        existing.properties = {**(existing.properties or {}), **values}
        existing.version += 1
        existing.updated_by_submission_id = submission.id
        existing.updated_at = utcnow()
        db.session.flush()
        _audit("entity.updated", user, submission, "entities", existing.id, entry, target, version=existing.version)
    elif creates and existing is None:
        made = Entity(
            ward_id=submission.ward_id,
            entity_list_id=entity_list.id,
            residential_group_id=submission.residential_group_id,
            uuid=target[:64],
            label=(label or target)[:255],
            properties=values,
            version=1,
            created_by_submission_id=submission.id,
            updated_by_submission_id=submission.id,
        )
        db.session.add(made)
        db.session.flush()
        _audit("entity.created", user, submission, "entities", made.id, entry, target)
    elif creates or updates:
        _audit(
            "entity.skipped",
            user,
            submission,
            "entities",
            existing.id if existing else None,
            entry,
            target,
            reason="exists" if existing is not None else "not_found",
        )
