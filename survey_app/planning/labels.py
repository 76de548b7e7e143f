"""Words the planning pages show for choice names and codes (translated when shown)."""

from __future__ import annotations

from flask_babel import get_locale
from flask_babel import lazy_gettext as _l

from survey_app.planning import classes as cl

TIME_SLOTS = {
    "weekday_morning": _l("Weekday mornings"),
    "weekday_afternoon": _l("Weekday afternoons"),
    "weekday_evening": _l("Weekday evenings"),
    "weekend": _l("Weekends"),
}
PLACES = {
    "community_house": _l("Community house"),
    "ward_point": _l("Ward support point"),
    "home": _l("At home"),
    "online": _l("Learn online"),
}
FORMATS = {
    "one_to_one": _l("One to one"),
    "small_group": _l("Small group"),
    "class": _l("Class"),
    "zalo_video": _l("Video guides on Zalo"),
    "platform": _l("Bình dân học vụ số platform"),
}
AGE_GROUPS = {"15_24": "15–24", "25_39": "25–39", "40_59": "40–59", "60_74": "60–74", "75_plus": "75+"}
NOT_STATED = _l("Not stated")
DIMENSIONS = {
    "group": _l("Residential group"),
    "time": _l("Preferred time"),
    "place": _l("Preferred place"),
    "format": _l("Preferred format"),
    "level": _l("Skill level"),
    "age_group": _l("Age group"),
}
UNPLACED_REASONS = {
    cl.TOO_FEW: _l("Too few learners for this module and time slot nearby"),
    cl.NO_TRAINER: _l("No trainer with capacity"),
    cl.PREREQUISITE: _l("An earlier module they need could not be placed"),
    cl.HOME_VISIT: _l("Routed to home visits"),
    cl.ONLINE: _l("Prefers to learn online"),
}
FORMED = {
    "own_group": _l("Learners of the venue's own group"),
    "neighbours": _l("Learners of neighbouring groups joined to reach the minimum size"),
    "locked": _l("Locked class kept from the previous plan"),
    "split": _l("Split from another class"),
    "merged": _l("Merged from several classes"),
}
HOME_WHY = {
    "disability": _l("disability"),
    "age_75_plus": _l("aged 75 or more"),
    "home_support": _l("household needs help at home"),
    "chose_home": _l("chose to learn at home"),
}


def localized(text: dict, fallback: str = "") -> str:
    """A {"vi": ..., "en": ...} label of the rules in the current language."""
    if not text:
        return fallback
    locale = str(get_locale() or "vi")
    return text.get(locale) or text.get("vi") or next(iter(text.values()), fallback)


def dimension_value(dimension: str, value: str, groups: dict) -> str:
    """How a demand-table row is named."""
    if value == "not_stated":
        return str(NOT_STATED)
    if dimension == "group":
        group = groups.get(int(value))
        return f"{group.code} · {group.name}" if group else value
    table = {"time": TIME_SLOTS, "place": PLACES, "format": FORMATS, "age_group": AGE_GROUPS}.get(dimension, {})
    return str(table.get(value, value))


def module_name(rules, code: str) -> str:
    """ "M2 · Cài đặt và kích hoạt VNeID mức 2"."""
    if code in rules.module_codes:
        return f"{code.upper()} · {localized(rules.module(code).title, code)}"
    return code.upper()


def gap_label(rules, module: str, clause_id: str) -> str:
    """The words of one gap clause of a module."""
    if module in rules.module_codes:
        for clause in rules.module(module).gap:
            if clause.id == clause_id:
                return localized(clause.label, clause_id)
    return clause_id


def level_name(rules, level: str) -> str:
    return f"{level} · {localized(rules.level_labels.get(level, {}), level)}"


def dimension_order(dimension: str, values, groups: dict) -> list:
    """Rows of a demand table in a natural order (codes, slot order, levels...), "not stated" last."""
    known = {
        "time": list(TIME_SLOTS),
        "place": list(PLACES),
        "format": list(FORMATS),
        "age_group": list(AGE_GROUPS),
        "level": ["L0", "L1", "L2", "L3", "L4", "L5"],
    }.get(dimension)
    if dimension == "group":
        return sorted(values, key=lambda v: (v == "not_stated", groups[int(v)].code if v.isdigit() and int(v) in groups else v))
    order = known or sorted(values)
    return [v for v in order if v in values] + sorted(v for v in values if v not in order)
