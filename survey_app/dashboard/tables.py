"""Long tables on their own pages: search, sort and paging from the query string (?q=&sort=&dir=&page=).

Server-side, so a page works without script, its address can be shared, and a ward with hundreds of
volunteers never sends them all at once.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from survey_app.offices import fold

PER_PAGE = 20


@dataclass(frozen=True)
class Column:
    """A sortable column: the row key it sorts by and its heading."""

    key: str
    label: str
    numeric: bool = False


def _number(value) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _sort_key(column: Column):
    """Rows sort by the column's value; empty and suppressed cells last whichever way."""

    def key(row):
        value = row.get(column.key)
        if column.numeric:
            return (0, value) if _number(value) else (1, 0)
        return (0, fold(str(value))) if value not in (None, "") else (1, "")

    return key


def page_of(
    rows: list[dict],
    columns: list[Column],
    args,
    *,
    search=("code", "name"),
    per_page: int = PER_PAGE,
    default_sort: str | None = None,
) -> dict:
    """The rows of one page and the table's state: {rows, total, page, pages, q, sort, dir, columns}."""
    q = (args.get("q") or "").strip()[:100]
    if q:
        needle = fold(q)
        rows = [row for row in rows if any(needle in fold(str(row.get(field) or "")) for field in search)]
    by_key = {column.key: column for column in columns}
    sort = args.get("sort") if args.get("sort") in by_key else default_sort
    direction = "desc" if args.get("dir") == "desc" else "asc"
    if sort:
        column = by_key[sort]
        present = [row for row in rows if _sort_key(column)(row)[0] == 0]
        missing = [row for row in rows if _sort_key(column)(row)[0] == 1]
        present.sort(key=_sort_key(column), reverse=direction == "desc")
        rows = present + missing
    total = len(rows)
    pages = max(math.ceil(total / per_page), 1)
    try:
        page = min(max(int(args.get("page", 1)), 1), pages)
    except (TypeError, ValueError):
        page = 1
    start = (page - 1) * per_page
    return {
        "rows": rows[start : start + per_page],
        "total": total,
        "page": page,
        "pages": pages,
        "q": q,
        "sort": sort,
        "dir": direction,
        "columns": by_key,
        "first": start + 1 if total else 0,
        "last": min(start + per_page, total),
    }
