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


#: Park and Miller's "minimal standard" generator behind randomize(nodeset, seed), as the ODK XForms spec
#: gives it: state = state * 16807 mod (2^31 - 1), each draw (state - 1) / (2^31 - 2) in [0, 1).
_PM_MODULUS = 2147483647
_PM_MULTIPLIER = 16807


def _park_miller(seed: int):
    state = abs(seed) % _PM_MODULUS * (-1 if seed < 0 else 1)  # JavaScript's remainder keeps the sign
    if state <= 0:
        state += _PM_MODULUS - 1

    def draw() -> float:
        nonlocal state
        state = state * _PM_MULTIPLIER % _PM_MODULUS
        return (state - 1) / (_PM_MODULUS - 1)

    return draw


def shuffle(items: list, seed: float | None = None) -> list:
    """randomize(): the items in the order of the "inside-out" Fisher-Yates shuffle, drawing from Park-Miller
    for a seed (the same order for the same seed, here and on the phone; a seed that is not a whole number is
    cut to one, one that is no number counts as 0), else at random."""
    if seed is None:
        draw = random.random
    else:
        draw = _park_miller(int(seed) if math.isfinite(seed) else 0)
    result: list = []
    for i, item in enumerate(items):
        j = math.floor(draw() * (i + 1))
        if j == i:
            result.append(item)
        else:
            result.append(result[j])
            result[j] = item
    return result


def inside(point: tuple[float, float], shape: list[tuple[float, float]]) -> bool:
    """geofence(): whether the point is inside the polygon (W. R. Franklin's crossing test, even-odd rule,
    longitude as x and latitude as y), as the ODK XForms spec gives it; a shape of less than 3 corners has no
    inside."""
    if len(shape) < 3:
        return False
    y, x = point
    crossed = False
    last = len(shape) - 1
    for i, (yi, xi) in enumerate(shape):
        yj, xj = shape[last if i == 0 else i - 1]
        if (yi > y) != (yj > y) and x < (xj - xi) * (y - yi) / (yj - yi) + xi:
            crossed = not crossed
    return crossed


def _turn(a, b, c) -> int:
    """The side of line a->b that c is on: 1, -1, or 0 on the line."""
    cross = (b[0] - a[0]) * (c[1] - a[1]) - (b[1] - a[1]) * (c[0] - a[0])
    return (cross > 0) - (cross < 0)


def _on_segment(a, b, c) -> bool:
    """c, on the line through a and b, between them."""
    return min(a[0], b[0]) <= c[0] <= max(a[0], b[0]) and min(a[1], b[1]) <= c[1] <= max(a[1], b[1])


def _segments_meet(p, q, r, s) -> bool:
    d1, d2, d3, d4 = _turn(r, s, p), _turn(r, s, q), _turn(p, q, r), _turn(p, q, s)
    if d1 * d2 < 0 and d3 * d4 < 0:
        return True
    return (
        (d1 == 0 and _on_segment(r, s, p))
        or (d2 == 0 and _on_segment(r, s, q))
        or (d3 == 0 and _on_segment(p, q, r))
        or (d4 == 0 and _on_segment(p, q, s))
    )


def self_intersects(points: list[tuple[float, float]]) -> bool:
    """intersects(): whether a geotrace or geoshape crosses or touches itself: two of its sides that do not
    follow each other meet (a shape's last side follows on to its first); a point repeated in a row is one."""
    corners = [p for i, p in enumerate(points) if i == 0 or p != points[i - 1]]
    sides = list(zip(corners, corners[1:]))
    closed = len(corners) > 3 and corners[0] == corners[-1]
    for i in range(len(sides)):
        for j in range(i + 2, len(sides)):
            if closed and i == 0 and j == len(sides) - 1:
                continue  # the shape's first and last sides meet where it closes
            if _segments_meet(*sides[i], *sides[j]):
                return True
    return False
