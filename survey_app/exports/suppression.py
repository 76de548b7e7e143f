"""Small-cell suppression in the files city roles export: what a hidden count shows.

Which cells are hidden is decided by survey_app.disclosure, the one rule for pages, APIs and exports:
every count under 5 (zero included), then `disclosure.protect` over the export's *lines* (cells tied
by a sum shown elsewhere: the statuses of a group add up to its listed households; a column of
groups adds up to the ward's total; a team's figure is the sum of its groups).
"""

from __future__ import annotations

from survey_app.disclosure import THRESHOLD

#: What a hidden count shows (a text cell, also in a number column).
HIDDEN = f"<{THRESHOLD}"


def shown(value, hide: bool):
    """A count as exported: the value, or HIDDEN."""
    return HIDDEN if hide else value
