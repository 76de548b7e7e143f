"""Small-cell suppression of the figures city roles export: counts under 5 are shown as "<5".

Primary suppression hides every count of households or people under THRESHOLD (zero included:
"none of the 4 households" says as much about them as "1 of them"). Secondary suppression then
stops the hidden cells being recomputed from the figures shown beside them: a *line* is a set of
cells tied by a sum shown elsewhere (the statuses of a group add up to its listed households; a
column of groups adds up to the ward's total; a team's figure is the sum of its groups). Wherever
a line has exactly one hidden cell, its smallest shown cell is hidden too, until no line has one.
This is the usual heuristic, not an optimal search: it can hide more than strictly needed, and
differences between lines that overlap in two cells or more are not checked.
"""
from __future__ import annotations

from collections.abc import Hashable, Iterable

from survey_app.disclosure import THRESHOLD
from survey_app.disclosure import is_small as small  # one rule for pages, APIs and exports

#: What a hidden count shows (a text cell, also in a number column).
HIDDEN = f"<{THRESHOLD}"


def protect(cells: dict[Hashable, int], lines: Iterable[Iterable[Hashable]]) -> set[Hashable]:
    """The cells to hide: every small count, then one more in each line that would give a hidden cell away."""
    lines = [[cell for cell in line if cell in cells] for line in lines]
    hidden = {cell for cell, value in cells.items() if small(value)}
    changed = True
    while changed:
        changed = False
        for line in lines:
            if sum(cell in hidden for cell in line) != 1:
                continue
            shown = [cell for cell in line if cell not in hidden]
            if shown:
                hidden.add(min(shown, key=lambda cell: (cells[cell] if isinstance(cells[cell], int) else 0,
                                                        str(cell))))
                changed = True
    return hidden


def shown(value, hide: bool):
    """A count as exported: the value, or HIDDEN."""
    return HIDDEN if hide else value
