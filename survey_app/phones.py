"""Vietnamese phone numbers, written one way everywhere (accounts, imports, households)."""

from __future__ import annotations

import re


def normalize_phone(text: str) -> str | None:
    """A Vietnamese phone number as 0xxxxxxxxx, or None if it is not one."""
    digits = re.sub(r"[\s.\-()]", "", text)
    if digits.startswith("+84"):
        digits = "0" + digits[3:]
    elif digits.startswith("84") and len(digits) in (11, 12):
        digits = "0" + digits[2:]
    elif re.fullmatch(r"[1-9]\d{8}", digits):
        digits = "0" + digits  # a spreadsheet dropped the leading zero
    return digits if re.fullmatch(r"0\d{9,10}", digits) else None
