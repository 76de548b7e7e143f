"""What non-admin exports leave out: sensitive answers (unless the ward admin ticks them) and exact ages.

Sensitive answers are those about poverty, disability and difficulties, vulnerability (living
alone, ethnic minority, difficulty reading), needing help at home and being a scam victim. The
ward admin ticks, by topic, which of them team leaders' exports may carry; the choice is kept as
the field names in `Ward.export_sensitive_fields`. Free-text and GPS answers are never tickable:
names, phone numbers and addresses are typed there (answers.PERSONAL_TYPES).

Exact ages (a birth year, the `age` calculate) become an age band computed against the survey
year, in the bands of the form's own `age_group` calculate, with "<15" below them.
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

#: Topics a ward admin may tick, in the order of the settings page: key -> (label, field names).
SENSITIVE_TOPICS: dict[str, tuple[object, tuple[str, ...]]] = {
    "poverty": (_l("Poor or near-poor household (a9)"), ("a9_poor",)),
    "home_support": (_l("Someone in the household needs help at home (a10)"), ("a10_home_support",)),
    "difficulty": (
        _l("Difficulties and disability (b4 and the disability calculation)"),
        ("b4_seeing", "b4_hearing", "b4_walking", "b4_remembering", "b4_selfcare", "b4_communicating", "disability"),
    ),
    "vulnerable": (_l("Lives alone, ethnic minority, difficulty reading (b5)"), ("b5_vulnerable",)),
    "scam": (_l("Targeted by an online or phone scam (v5)"), ("v5_scam",)),
}
SENSITIVE_FIELDS = frozenset(name for _label, names in SENSITIVE_TOPICS.values() for name in names)

#: The form's age bands (its age_group calculate; planning/demand.AGE_BANDS), with children below.
AGE_BANDS = ((0, 14, "<15"), (15, 24, "15–24"), (25, 39, "25–39"), (40, 59, "40–59"), (60, 74, "60–74"), (75, 200, "75+"))


def exact_age(name: str) -> bool:
    """Answers that give a person's exact age: a birth year, or the `age` calculate."""
    return name == "age" or name.endswith("birth_year")


def age_band(birth_year, survey_year) -> str | None:
    """The band of the age reached in the survey year ("40–59"); None when either is not a whole number."""
    if not isinstance(birth_year, int) or isinstance(birth_year, bool) or not isinstance(survey_year, int):
        return None
    age = survey_year - birth_year
    return next((band for low, high, band in AGE_BANDS if low <= age <= high), None)


def topics_of(fields) -> list[str]:
    """The topics whose fields are all in a stored list of field names (what the settings page shows ticked)."""
    stored = set(fields or ())
    return [key for key, (_label, names) in SENSITIVE_TOPICS.items() if set(names) <= stored]


def fields_of(topics) -> list[str] | None:
    """The field names of ticked topics, in topic order; None when nothing is ticked."""
    names = [name for key in SENSITIVE_TOPICS if key in set(topics or ()) for name in SENSITIVE_TOPICS[key][1]]
    return names or None


def allowed(fields) -> frozenset[str]:
    """The sensitive fields a ward's non-admin exports may carry (anything else stored is ignored)."""
    return frozenset(fields or ()) & SENSITIVE_FIELDS
