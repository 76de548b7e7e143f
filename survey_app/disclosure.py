"""Small-cell suppression: the figures a city role sees.

City roles read figures, never people (`access.sees_people`). In what they see, a cell counting fewer
than 5 people or households, zero included, is suppressed: "<5" on pages, null in JSON with the row's
`suppressed` list naming the cells ("none of the 12 adults has level-2 VNeID" tells something about
each of them, as "1 of them" does). The exports (survey_app/exports/suppression.py) use the same
rule. When one part of a row that adds up to a
shown total is suppressed, the smallest other part is suppressed too, so that subtracting from the
total does not give the hidden cell back; shares computed from a suppressed count are suppressed.
Ward roles see every figure exactly.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable

from flask.json.provider import DefaultJSONProvider

from survey_app.access import sees_people

THRESHOLD = 5


class Suppressed:
    """A suppressed count or share: "<5" on pages, null in JSON."""

    def __str__(self) -> str:
        return f"<{THRESHOLD}"

    __repr__ = __str__


SUPPRESSED = Suppressed()


def is_small(count) -> bool:
    """A count under 5, zero included: "none of the 12 adults" says as much about each of them as "1 of
    them" (other values and what is already suppressed are not small). The exports use the same rule."""
    return isinstance(count, int) and not isinstance(count, bool) and 0 <= count < THRESHOLD


def suppress_small(count, viewer):
    """`count` as `viewer` may see it: SUPPRESSED for 0 to 4 when the viewer reads figures only."""
    return SUPPRESSED if is_small(count) and not sees_people(viewer) else count


def protect(cells: dict[Hashable, int], lines: Iterable[Iterable[Hashable]], hidden: Iterable[Hashable] = ()) -> set[Hashable]:
    """The cells to hide: every small count (and `hidden`), then, wherever a *line* (cells tied by a sum
    shown elsewhere) has exactly one hidden cell, its smallest shown cell too, until no line has one.

    The usual heuristic, not an optimal search: it can hide more than strictly needed, and differences
    between lines that overlap in two cells or more are not checked.
    """
    lines = [[cell for cell in line if cell in cells] for line in lines]
    hidden = {*hidden, *(cell for cell, value in cells.items() if is_small(value))}
    changed = True
    while changed:
        changed = False
        for line in lines:
            if sum(cell in hidden for cell in line) != 1:
                continue
            shown = [cell for cell in line if cell not in hidden]
            if shown:
                hidden.add(min(shown, key=lambda cell: (cells[cell] if isinstance(cells[cell], int) else 0, str(cell))))
                changed = True
    return hidden


def suppress_row(row: dict, viewer, counts, parts=(), derived=()) -> dict:
    """A copy of a row of figures as `viewer` may see it.

    `counts`: keys holding counts of people or households; `parts`: those of them that add up to a total
    shown in the row (one suppressed part brings the smallest other part with it); `derived`: keys
    computed from the counts (shares, what remains), suppressed when any count is.
    """
    if sees_people(viewer):
        return row
    hidden = protect({key: row.get(key) for key in counts}, [parts])
    if not hidden:
        return row
    hidden |= set(derived)
    return {**row, **{key: SUPPRESSED for key in hidden if key in row}, "suppressed": sorted(hidden & set(row))}


def suppress_column(rows: list[dict], key: str) -> None:
    """Rows of a table whose column `key` adds up to a shown total: when exactly one row's cell is suppressed,
    suppress the smallest other cell of the column too (in place)."""
    cells = {index: row.get(key) for index, row in enumerate(rows)}
    already = {index for index, value in cells.items() if value is SUPPRESSED}
    for index in protect(cells, [cells], already) - already:
        rows[index][key] = SUPPRESSED
        rows[index]["suppressed"] = sorted({*rows[index].get("suppressed", ()), key})


def suppress_bucket(bucket: dict, viewer) -> dict:
    """An indicator bucket ({adults, proxy, households, indicators: {key: {n, of, share}}}) as `viewer` may see it.

    A share is suppressed when fewer than 5 people have it or fewer than 5 lack it; its denominator when
    fewer than 5 were asked."""
    if sees_people(viewer) or not bucket:
        return bucket
    out = suppress_row(bucket, viewer, ("adults", "proxy", "households"))
    shares = {}
    for key, share in bucket.get("indicators", {}).items():
        n, of = share["n"], share["of"]
        if is_small(of):
            shares[key] = {"n": SUPPRESSED, "of": SUPPRESSED, "share": SUPPRESSED, "suppressed": ["n", "of", "share"]}
        elif is_small(n) or is_small(of - n):
            shares[key] = {**share, "n": SUPPRESSED, "share": SUPPRESSED, "suppressed": ["n", "share"]}
        else:
            shares[key] = share
    return {**out, "indicators": shares}


class JSONProvider(DefaultJSONProvider):
    """Flask's JSON, with suppressed cells written as null."""

    @staticmethod
    def default(o):
        if isinstance(o, Suppressed):
            return None
        return DefaultJSONProvider.default(o)


def init_app(app) -> None:
    """Suppressed cells as null in JSON; in templates `sees_people()` (links to lists of people) and the
    `cell` filter: a count of people or households, "<5" for 0 to 4 when the user reads figures only."""
    from flask_login import current_user

    app.json = JSONProvider(app)
    app.jinja_env.globals["sees_people"] = lambda: sees_people(current_user)
    number = app.jinja_env.filters["number"]
    app.jinja_env.filters["cell"] = lambda value: number(suppress_small(value, current_user))
