"""What the top of the ward dashboard shows: plan targets as bullet charts, coverage progress, the
groups furthest behind, the compared indicators' trend across survey rounds, and the per-group values
the choropleth colours by.

Everything here is computed from figures the views already read (coverage rows, indicator buckets, kept
by the worker; the rounds' shares from rounds.queries.by_round, as the effectiveness page reads them),
except the map's support acts: one grouped query.
"""

from __future__ import annotations

import math

from survey_app import disclosure
from survey_app.accounts.models import User
from survey_app.support.queries import acts_by_group

#: Groups listed as furthest behind.
BEHIND_LIMIT = 5
#: Indicators the map can colour the groups by (the keys of `map_values`), in the picker's order.
MAP_INDICATORS = ("coverage", "vneid_level2", "level_3_plus", "learning", "support")
#: Levels counted as "L3 or above" (index in planning.scoring.LEVELS: L3, L4, L5).
L3_PLUS = (3, 4, 5)


def _number(value) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def bullets(bucket: dict, targets: dict[str, float], labels: dict) -> list[dict]:
    """One bullet chart per plan target: the measured share, the target, the gap in points and in people.

    `bucket` is the ward's total indicator bucket as the viewer may see it (shares may be suppressed)."""
    found = []
    for key, target in targets.items():
        item = (bucket.get("indicators") or {}).get(key) or {}
        share, n, of = item.get("share"), item.get("n"), item.get("of")
        measured = _number(share)
        gap_people = max(math.ceil(target * of - n - 1e-9), 0) if measured and _number(n) and _number(of) else None
        found.append(
            {
                "key": key,
                "label": labels.get(key, key),
                "target": target,
                "share": share if measured else None,
                "n": n,
                "of": of,
                "suppressed": share is disclosure.SUPPRESSED,
                "met": measured and share >= target,
                "gap_points": max(target - share, 0) if measured else None,
                "gap_people": gap_people,
            }
        )
    return found


def behind(groups: list[dict], limit: int = BEHIND_LIMIT) -> list[dict]:
    """The groups with expected households and the lowest coverage, most households remaining first on ties.

    `groups` are coverage rows as the viewer may see them; a suppressed share sorts as unknown, last."""
    ranked = [g for g in groups if _number(g.get("expected")) and g["expected"] > 0 and g.get("share") != 1.0]
    ranked.sort(
        key=lambda g: (
            0 if _number(g["share"]) else 1,
            g["share"] if _number(g["share"]) else 0,
            -(g["remaining"] if _number(g.get("remaining")) else 0),
            g["code"],
        )
    )
    return ranked[:limit]


def _share(n, of) -> dict:
    return {"n": n, "of": of, "share": n / of if of else None}


def _learning(shares: dict) -> dict | None:
    """Adults who want to learn at least one module, of the adults asked (l1_topics): its answer is either
    "none" alone or up to three modules (the form's constraint), so they are the asked less the "none"s."""
    item = shares.get("wants_none")
    if not item or not item.get("of"):
        return None
    return _share(item["of"] - item["n"], item["of"])


def _shown_share(item: dict | None, user: User) -> dict | None:
    """A share as the viewer may see it (the same rule as indicator buckets)."""
    if item is None:
        return None
    shown = disclosure.suppress_bucket({"indicators": {"x": item}}, user)["indicators"]["x"]
    return {key: shown[key] for key in ("n", "of", "share")}


def map_values(user: User, ward_id: int, groups: list[dict], group_buckets: list[tuple]) -> dict[int, dict]:
    """{group id: {indicator: {n, of, share}}} for the choropleth, suppressed as the viewer must see them.

    `groups` are the coverage rows shown to the viewer, `group_buckets` the exact indicator buckets by group."""
    buckets = dict(group_buckets)
    acts = acts_by_group(user, ward_id)
    values = {}
    for g in groups:
        bucket = buckets.get(g["id"]) or {}
        shares = bucket.get("indicators") or {}
        levels = [shares.get(f"level_{i}") or {} for i in L3_PLUS]
        level_of = (shares.get("level_0") or {}).get("of") or 0
        level_3 = _share(sum(item.get("n") or 0 for item in levels), level_of) if level_of else None
        support = acts.get(g["id"], 0)
        values[g["id"]] = {
            "coverage": {"n": g["interviewed"], "of": g["expected"], "share": g["share"]},
            "vneid_level2": _shown_share(shares.get("vneid_level2"), user),
            "level_3_plus": _shown_share(level_3, user),
            "learning": _shown_share(_learning(shares), user),
            "support": {"n": disclosure.suppress_small(support, user) if support else 0, "of": None, "share": None},
        }
    return values


# ---------------------------------------------------------------- the trend across survey rounds

#: One small chart per indicator, in SVG user units: its box and the plot inside it (0–100 % high).
TREND_BOX = (320, 190)
TREND_PLOT = {"left": 40, "right": 306, "top": 22, "bottom": 148}
#: Gridlines of the plot (shares), the labelled ones first.
TREND_TICKS = (0.0, 0.5, 1.0)
TREND_GRID = (0.25, 0.75)


def _trend_x(position: int, count: int) -> float:
    """A round's x: the plot split into one band per round, the point in its band's middle."""
    width = TREND_PLOT["right"] - TREND_PLOT["left"]
    return round(TREND_PLOT["left"] + (position + 0.5) * width / count, 1)


def trend_y(share: float) -> float:
    """A share's y (0 at the bottom of the plot, 1 at its top)."""
    return round(TREND_PLOT["bottom"] - share * (TREND_PLOT["bottom"] - TREND_PLOT["top"]), 1)


def _trend_path(points: list[dict]) -> str:
    """The line through the points that have a value; a missing value breaks it."""
    parts, drawing = [], False
    for point in points:
        if point["value"] is None:
            drawing = False
            continue
        parts.append(f"{'L' if drawing else 'M'}{point['x']},{point['y']}")
        drawing = True
    return " ".join(parts)


def _trend_series(key: str, label: str, values: list, rounds: list[dict], target: float | None) -> dict:
    points = [
        {**r, "value": value, "y": trend_y(value) if value is not None else None} for r, value in zip(rounds, values, strict=True)
    ]
    last, before = values[-1], values[-2] if len(values) > 1 else None
    return {
        "key": key,
        "label": label,
        "points": points,
        "path": _trend_path(points),
        "target": target,
        "target_y": trend_y(target) if target is not None else None,
        "latest": last,
        "change": None if last is None or before is None else last - before,
        "met": None if last is None or target is None else last >= target,
    }


def trend(per_round: list[tuple], compared: tuple[str, ...], targets: dict[str, float], labels: dict, viewer) -> dict:
    """Each compared indicator's share of adults per round (oldest first), ready to draw: the rounds'
    x, each point's y, the line, the plan target's y where the ward has one, the last change.

    `per_round` is rounds.queries.by_round(ward, viewer, "total"); a share the viewer may not read
    (Share.shown: too few people for a city role) or nobody was asked about is None, and not drawn."""
    count = len(per_round)
    rounds = [
        {"number": r.number, "name": r.name, "starts_on": r.starts_on, "x": _trend_x(position, count)}
        for position, (r, _found) in enumerate(per_round)
    ]
    series = []
    for key in compared:
        values = [found["total"][key].shown(viewer) if found.get("total") else None for _round, found in per_round]
        series.append(_trend_series(key, labels.get(key, key), values, rounds, targets.get(key)))
    return {
        "rounds": rounds,
        "series": series,
        "box": TREND_BOX,
        "plot": TREND_PLOT,
        "ticks": [(tick, trend_y(tick)) for tick in TREND_TICKS],
        "grid": [trend_y(tick) for tick in TREND_GRID],
    }
