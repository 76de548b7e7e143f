"""Plan targets as data: the city plans' defaults, a city's overrides, a ward's overrides.

A target is the share (0..1) of adults an indicator should reach, e.g. 0.82 of adults with a
level-2 VNeID account. The effective target of a key is the ward's own value if it set one, else
its city's, else the default below; a key with none of the three has no target. Screens show and
accept percentages ("82" or "82,5"); the database keeps shares.

This module knows indicator keys only as names, so the dashboard and the exports both import it
without importing each other (tests check that every key here is an indicator of
survey_app/dashboard/indicators.py).
"""

from __future__ import annotations

import math
import re
from decimal import Decimal, InvalidOperation

from flask_babel import lazy_gettext as _l

#: Targets of the ward digital-transformation plans, used where neither the city nor the ward set one.
DEFAULTS: dict[str, float] = {
    "vneid_account": 0.82,  # adults with a VNeID account
    "vneid_level2": 0.82,  # adults with a level-2 (identified) VNeID account
    "public_services_any": 0.84,  # adults who filed online public services (alone or helped)
    "digital_signature": 0.50,  # adults with a personal digital signature
}

#: Indicators that may carry a target, in the order the settings pages list them: the shares of
#: adults (or households) where more is better. Scam indicators and breakdown-only keys are left out.
TARGETABLE: tuple[str, ...] = (
    "vneid_account",
    "vneid_level2",
    "public_services_self",
    "public_services_any",
    "cashless",
    "digital_signature",
    "level_4_plus",
    "essential_five",
    "household_essential_five",
    "internet_user",
    "smartphone",
    "computer_use",
    "home_internet",
)
assert set(DEFAULTS) <= set(TARGETABLE)

#: Decimals of a percentage kept (82.25 %).
PERCENT_DECIMALS = 2


class TargetError(ValueError):
    """A target typed on a settings page that is not a percentage from 0 to 100."""


def clean(stored) -> dict[str, float]:
    """The usable part of a stored {key: share}: targetable keys with a share from 0 to 1, others dropped."""
    if not isinstance(stored, dict):
        return {}
    found = {}
    for key, value in stored.items():
        if key not in TARGETABLE or isinstance(value, bool) or not isinstance(value, (int, float)):
            continue
        if math.isfinite(value) and 0 <= value <= 1:
            found[key] = float(value)
    return found


def effective(city_targets=None, ward_targets=None) -> dict[str, float]:
    """Defaults, replaced key by key by the city's, then by the ward's (both as stored, or None)."""
    return {**DEFAULTS, **clean(city_targets), **clean(ward_targets)}


def for_city(city) -> dict[str, float]:
    """The targets of a city (its own or the defaults), the ones its wards inherit."""
    return effective(city.plan_targets if city is not None else None)


def for_ward(ward) -> dict[str, float]:
    """The targets that apply to a ward: its own, else its city's, else the defaults."""
    if ward is None:
        return dict(DEFAULTS)
    return effective(ward.city.plan_targets if ward.city is not None else None, ward.plan_targets)


def inherited(city) -> dict[str, tuple[float, str]]:
    """What a ward of `city` gets for each key it leaves empty: (share, "city") or (share, "default")."""
    own = clean(city.plan_targets) if city is not None else {}
    return {
        key: (own[key], "city") if key in own else (DEFAULTS[key], "default")
        for key in TARGETABLE
        if key in own or key in DEFAULTS
    }


def defaults() -> dict[str, tuple[float, str]]:
    """What a city gets for each key it leaves empty: (share, "default")."""
    return {key: (share, "default") for key, share in DEFAULTS.items()}


def overrides(values: dict) -> dict[str, float] | None:
    """What to store from {key: share or None} (None: inherit): only the keys set; None when nothing is."""
    kept = {key: float(values[key]) for key in TARGETABLE if values.get(key) is not None}
    return kept or None


_NUMBER = re.compile(r"^[+]?\d+(?:[.,]\d+)?$")


def parse_percent(text) -> float | None:
    """A typed percentage ("82", "82,5", "82.5 %") as a share (0.825); empty means None (inherit).

    Raises TargetError with a message saying what is wrong.
    """
    raw = "" if text is None else str(text)
    typed = raw.replace("\u00a0", " ").strip().removesuffix("%").rstrip()
    if not typed:
        return None
    if not _NUMBER.match(typed):
        raise TargetError(_l("“%(value)s” is not a percentage: type a number from 0 to 100, e.g. 82 or 82,5.", value=raw.strip()))
    try:
        percent = Decimal(typed.replace(",", "."))
    except InvalidOperation:  # pragma: no cover - the pattern lets only numbers through
        raise TargetError(
            _l("“%(value)s” is not a percentage: type a number from 0 to 100, e.g. 82 or 82,5.", value=raw.strip())
        ) from None
    if not 0 <= percent <= 100:
        raise TargetError(_l("“%(value)s” is out of range: a target is a percentage from 0 to 100.", value=raw.strip()))
    return float(round(percent, PERCENT_DECIMALS) / 100)


def percent_text(share: float | None, decimal_sign: str = ",") -> str:
    """A share as the number typed in a percentage field: 0.825 -> "82,5", 0.82 -> "82"."""
    if share is None:
        return ""
    percent = (Decimal(repr(float(share))) * 100).quantize(Decimal(1).scaleb(-PERCENT_DECIMALS))
    text = format(percent.normalize(), "f")
    return text.replace(".", decimal_sign)
