"""Pure helpers behind the ODK XPath functions that are more than a one-liner: digests, geography,
rounding, time of day, random identifiers. No expression types here (evaluator.py converts the
arguments); static/js/form-expr.js and form-expr-digest.js compute the same results on the phone.
"""
from __future__ import annotations

import base64
import binascii
import hashlib
import math
import random
import re
import string
import uuid as _uuid

#: digest() algorithms, by the names the ODK documentation gives.
DIGESTS = {"MD5": "md5", "SHA-1": "sha1", "SHA-256": "sha256", "SHA-384": "sha384", "SHA-512": "sha512"}
#: The Earth's radius that Enketo and JavaRosa use for distance() and area(), in metres.
EARTH_RADIUS = 6378100.0
_TIME = re.compile(r"^\s*(\d{2}):(\d{2})(?::(\d{2})(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?\s*$")
_TOKEN_CHARS = string.ascii_letters + string.digits


def digest(text: str, algorithm: str, encoding: str = "base64") -> str:
    """The hash of the UTF-8 bytes of `text`, in base64 or hex; "" for an unknown algorithm or encoding."""
    name = DIGESTS.get(algorithm)
    if name is None or encoding not in ("base64", "hex"):
        return ""
    raw = hashlib.new(name, text.encode("utf-8")).digest()
    return raw.hex() if encoding == "hex" else base64.b64encode(raw).decode("ascii")


def base64_decode(text: str) -> str:
    try:
        return base64.b64decode(text.strip(), validate=True).decode("utf-8")
    except (binascii.Error, ValueError):
        return ""


def round_half_away(x: float, places: float = 0.0) -> float:
    """round(number, places) as Enketo computes it: halves away from zero, negative places allowed."""
    if not math.isfinite(x):
        return x
    places = int(places) if math.isfinite(places) else 0

    def whole(v: float) -> float:
        return -math.floor(-v + 0.5) if v < 0 else math.floor(v + 0.5)

    if places == 0:
        return float(whole(x))
    power = 10.0 ** abs(places)
    return whole(x * power) / power if places > 0 else power * whole(x / power)


def decimal_time(text: str) -> float:
    """A time of day ('HH:MM[:SS[.fff]]', a zone ignored) as a fraction of the day, else NaN."""
    match = _TIME.match(text)
    if not match:
        return math.nan
    hour, minute, second = int(match[1]), int(match[2]), int(match[3] or 0)
    if hour > 23 or minute > 59 or second > 59:
        return math.nan
    fraction = float(match[4]) if match[4] else 0.0
    return (hour * 3600 + minute * 60 + second + fraction) / 86400


def geopoints(texts: list[str]) -> list[tuple[float, float]] | None:
    """(lat, lon) of geopoints given one per text or as 'p;p;...' traces; None if one is not a geopoint."""
    points = []
    for text in texts:
        for part in text.split(";"):
            fields = part.split()
            if len(fields) < 2:
                return None
            try:
                lat, lon = float(fields[0]), float(fields[1])
                extra = [float(f) for f in fields[2:4]]
            except ValueError:
                return None
            if not (-90 <= lat <= 90 and -180 <= lon <= 180) or (len(extra) > 1 and extra[1] < 0):
                return None
            points.append((lat, lon))
    return points


def distance(points: list[tuple[float, float]]) -> float:
    """Length in metres of the line through `points` (great circles), to the centimetre."""
    total = 0.0
    for (lat1, lon1), (lat2, lon2) in zip(points, points[1:]):
        p1, p2, dl = math.radians(lat1), math.radians(lat2), math.radians(lon1 - lon2)
        cosine = math.sin(p1) * math.sin(p2) + math.cos(p1) * math.cos(p2) * math.cos(dl)
        total += math.acos(max(-1.0, min(1.0, cosine))) * EARTH_RADIUS
    return abs(round_half_away(total * 100)) / 100


def area(points: list[tuple[float, float]]) -> float:
    """Area in square metres of the polygon through `points` (on a sphere), to the square centimetre."""
    total = 0.0
    count = len(points)
    if count > 2:
        for i, (lat1, lon1) in enumerate(points):
            lat2, lon2 = points[(i + 1) % count]
            total += math.radians(lon2 - lon1) * (2 + math.sin(math.radians(lat1)) + math.sin(math.radians(lat2)))
        total = total * EARTH_RADIUS * EARTH_RADIUS / 2.0
    return abs(round_half_away(total * 100)) / 100


def uuid(length: float | None = None) -> str:
    """A version 4 UUID, or `length` random letters and digits."""
    if length is None:
        return str(_uuid.uuid4())
    count = int(length) if math.isfinite(length) and length > 0 else 0
    return "".join(random.SystemRandom().choice(_TOKEN_CHARS) for _ in range(count))
