"""Words shown for indicator keys and breakdown buckets, in the user's language."""

from __future__ import annotations

from flask_babel import get_locale
from flask_babel import gettext as _

from survey_app.dashboard.indicators import DEVICE_BITS, MODULES, rules_for
from survey_app.planning.scoring import LEVELS


def _lang() -> str:
    return "en" if str(get_locale() or "vi").startswith("en") else "vi"


def section_labels() -> dict:
    return {
        "levels": _("Skill level (L0–L5)"),
        "essential": _("The five essential skills"),
        "services": _("Essential digital services"),
        "safety": _("Online safety"),
        "devices": _("Devices and Internet"),
        "learning": _("Learning needs"),
        "gaps": _("Training gaps (from the scoring rules)"),
    }


def indicator_labels() -> dict:
    """Indicator key -> label; levels and module titles come from the scoring rules' own words."""
    rules, lang = rules_for(None), _lang()
    labels = {
        f"level_{i}": f"{level} {rules.level_labels.get(level, {}).get(lang, '')}".strip() for i, level in enumerate(LEVELS)
    }
    devices = {
        "computer": _("Household has a computer"),
        "tablet": _("Household has a tablet"),
        "smartphone": _("Household has a smartphone"),
        "smart_tv": _("Household has a smart TV"),
        "none": _("Household has no digital device"),
    }
    labels.update({f"device_{name}": devices[name] for name in DEVICE_BITS})
    for code in MODULES:
        title = rules.module(code).title.get(lang, code) if code in rules.module_codes else code
        labels[f"wants_{code}"] = f"{code.upper()} {title}"
        labels[f"gap_{code}"] = f"{code.upper()} {title}"
    labels.update(
        {
            "wants_none": _("No learning need"),
            "level_4_plus": _("Basic or above (L4–L5): the headline indicator"),
            "internet_user": _("Used the Internet in the last 3 months"),
            "essential_five": _("Adults with the five essential skills"),
            "household_essential_five": _("Households with the five essential skills (one member or more)"),
            "vneid_account": _("VNeID account (level 1 or 2)"),
            "vneid_level2": _("VNeID level 2"),
            "public_services_self": _("Filed online public services alone (12 months)"),
            "public_services_any": _("Used online public services, alone or helped (12 months)"),
            "cashless": _("Cashless payment (3 months)"),
            "digital_signature": _("Personal digital signature"),
            "scam_exposed": _("Targeted by an online or phone scam (12 months)"),
            "scam_lost": _("Lost money or information to a scam (12 months)"),
            "smartphone": _("Uses a smartphone"),
            "computer_use": _("Used a computer or tablet (3 months)"),
            "home_internet": _("Household has home Internet"),
        }
    )
    return labels


def breakdown_labels(groups: list[dict]) -> dict:
    """Breakdown -> {bucket key -> label}."""
    return {
        "group": {g["id"]: f"{g['code']} · {g['name']}" for g in groups},
        "age_group": {"15_24": "15–24", "25_39": "25–39", "40_59": "40–59", "60_74": "60–74", "75_plus": "75+"},
        "sex": {"male": _("Male"), "female": _("Female"), "other": _("Other")},
        "vulnerable": {
            "disability": _("Disability (Washington Group)"),
            "age_75_plus": _("Aged 75 or over"),
            "lives_alone": _("Lives alone"),
            "poor_household": _("Poor or near-poor household"),
            "any": _("Any of these"),
            "none": _("None of these"),
        },
        "names": {
            "group": _("Residential group"),
            "age_group": _("Age group"),
            "sex": _("Sex"),
            "vulnerable": _("Vulnerable groups"),
        },
    }
