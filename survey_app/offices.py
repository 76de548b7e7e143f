"""The ward offices that mobilise staff into survey teams: the one canonical list (accounts, teams)."""

from __future__ import annotations

import re
import unicodedata
from typing import NamedTuple


class Office(NamedTuple):
    code: str
    name_vi: str
    name_en: str


#: Offices of a ward People's Committee whose staff join survey teams.
OFFICES = [
    Office("culture_social", "Phòng Văn hóa - Xã hội", "Culture and Social Affairs Office"),
    Office("ward_office", "Văn phòng HĐND và UBND", "Ward Office"),
    Office("economy", "Phòng Kinh tế", "Economy Office"),
    Office("police", "Công an phường", "Ward police"),
    Office("service_centre", "Trung tâm phục vụ hành chính công", "Public Service Centre"),
    Office("fatherland_front", "Mặt trận Tổ quốc và các đoàn thể", "Fatherland Front and mass organisations"),
]

OFFICE_CODES = [office.code for office in OFFICES]


def fold(text: str) -> str:
    """Lower case, no Vietnamese diacritics (đ becomes d), single spaces: for lenient matching."""
    text = unicodedata.normalize("NFD", text.strip().lower()).replace("đ", "d")
    text = "".join(ch for ch in text if not unicodedata.combining(ch))
    return re.sub(r"\s+", " ", text)


_LOOKUP = {fold(name): office for office in OFFICES for name in office}


def find_office(value: str | None) -> Office | None:
    """The office named by its code, Vietnamese or English name (any case, with or without accents)."""
    if not value:
        return None
    return _LOOKUP.get(fold(value))


def office_label(code: str | None, locale: str = "vi") -> str:
    """The office's name in the given locale; unknown codes are shown as they are."""
    office = find_office(code)
    if office is None:
        return code or ""
    return office.name_vi if locale == "vi" else office.name_en
