"""Changing a ward's settings and a city's plan targets: flush only, every change audited."""

from __future__ import annotations

from datetime import date

from survey_app.audit.operations import record
from survey_app.exports import privacy
from survey_app.extensions import db
from survey_app.wards import targets
from survey_app.wards.models import City, Ward, WardKind

#: The ward settings a page changes besides the plan targets, in the order of the page.
WARD_FIELDS = ("name", "kind", "citizen_app_name", "survey_starts_on", "survey_ends_on")


def _plain(value):
    """A setting as it is written in the audit log's JSON detail."""
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, WardKind):
        return value.value
    return value


def _target_changes(old_stored, new_stored) -> dict:
    """{"plan_targets.<key>": {"old", "new"}} of the keys whose own value changed (None: inherited)."""
    old, new = targets.clean(old_stored), targets.clean(new_stored)
    return {
        f"plan_targets.{key}": {"old": old.get(key), "new": new.get(key)}
        for key in targets.TARGETABLE
        if old.get(key) != new.get(key)
    }


def change_ward_settings(
    ward: Ward,
    *,
    name: str,
    kind: WardKind | str,
    citizen_app_name: str | None,
    survey_starts_on: date | None,
    survey_ends_on: date | None,
    plan_targets: dict[str, float | None],
    user=None,
) -> dict:
    """Apply a ward's settings; record what changed as "ward.settings_changed". Returns the changes.

    `plan_targets` holds a share or None (inherit the city's) for each targetable key.
    """
    if survey_starts_on and survey_ends_on and survey_ends_on < survey_starts_on:
        raise ValueError("the survey period ends before it starts")  # the form says so in words first
    wanted = {
        "name": name.strip(),
        "kind": WardKind(kind),
        "citizen_app_name": (citizen_app_name or "").strip() or None,
        "survey_starts_on": survey_starts_on,
        "survey_ends_on": survey_ends_on,
    }
    changes = {}
    for field in WARD_FIELDS:
        old, new = getattr(ward, field), wanted[field]
        if old != new:
            changes[field] = {"old": _plain(old), "new": _plain(new)}
            setattr(ward, field, new)
    stored = targets.overrides(plan_targets)
    target_changes = _target_changes(ward.plan_targets, stored)
    if target_changes:
        ward.plan_targets = stored
        changes.update(target_changes)
    if changes:
        db.session.flush()
        record(
            "ward.settings_changed",
            user=user,
            ward_id=ward.id,
            object_type="ward",
            object_id=ward.id,
            detail={"changed": list(changes), "changes": changes},
        )
    return changes


def change_export_sensitive(ward: Ward, topics, user=None) -> bool:
    """Set which sensitive answers non-admin exports of the ward may carry (topics of exports/privacy.py).

    Audited as "ward.export_sensitive_changed" with the field names before and after (names only).
    Returns whether anything changed.
    """
    before = sorted(privacy.allowed(ward.export_sensitive_fields))
    wanted = privacy.fields_of(topics)
    if sorted(wanted or ()) == before:
        return False
    ward.export_sensitive_fields = wanted
    db.session.flush()
    record(
        "ward.export_sensitive_changed",
        user=user,
        ward_id=ward.id,
        object_type="ward",
        object_id=ward.id,
        detail={"before": before, "after": sorted(wanted or ())},
    )
    return True


def change_city_targets(city: City, plan_targets: dict[str, float | None], user=None) -> dict:
    """Set the targets every ward of the city inherits; record the change as "city.targets_changed"."""
    stored = targets.overrides(plan_targets)
    changes = _target_changes(city.plan_targets, stored)
    if changes:
        city.plan_targets = stored
        db.session.flush()
        record(
            "city.targets_changed",
            user=user,
            object_type="city",
            object_id=city.id,
            detail={"changed": list(changes), "changes": changes},
        )
    return changes
