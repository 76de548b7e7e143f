"""Indicator figures kept per residential group and breakdown cell (models.IndicatorFigure).

The ward dashboard reads its indicator breakdowns from these rows: a few hundred per ward instead of
one per interviewed adult, with the same numbers as `indicators.aggregate` over the PersonIndicator
rows (the figures are those very sums, kept). Whoever replaces PersonIndicator rows does it through
`shift_figures`, which moves the figures by what the replacement changed, in the same transaction;
`rewrite_figures(group_ids)` rewrites groups from their rows, `rebuild_figures(ward_id)` a whole ward.
"""

from __future__ import annotations

import sqlalchemy as sa

from survey_app.dashboard.indicators import INDICATORS, VULNERABLE_FLAGS, _bucket, _columns, _lock_groups
from survey_app.dashboard.models import FIGURE_COUNTS, FIGURE_KEYS, IndicatorFigure, PersonIndicator
from survey_app.extensions import db

assert FIGURE_KEYS == tuple(ind.key for ind in INDICATORS), "IndicatorFigure needs a column pair per indicator"

#: Breakdowns kept per group, and the PersonIndicator column that gives the cell ("group": none).
CELL_COLUMNS = {"group": None, "age_group": PersonIndicator.age_group, "sex": PersonIndicator.sex}
VULNERABLE_CELLS = (*VULNERABLE_FLAGS, "any", "none")
#: (figure column name, aggregate label) of every count: "level_0_n" is summed as "level_0__n".
_LABELS = (
    *((name, name) for name in FIGURE_COUNTS[:3]),
    *((f"{key}_{part}", f"{key}__{part}") for key in FIGURE_KEYS for part in ("n", "of")),
)
assert tuple(name for name, _label in _LABELS) == FIGURE_COUNTS


# ---------------------------------------------------------------- writing


def rewrite_figures(group_ids) -> None:
    """Rewrite the figures of these residential groups from their PersonIndicator rows; flushes.

    Idempotent: run twice, the second run writes the same figures. Takes the groups' lock (as the
    tally rewrite does), so two transactions rewriting one group follow each other.
    """
    group_ids = sorted({gid for gid in group_ids if gid is not None})
    if not group_ids:
        return
    db.session.flush()
    _lock_groups(group_ids)
    _write(IndicatorFigure.residential_group_id.in_(group_ids), PersonIndicator.residential_group_id.in_(group_ids))


def shift_figures(group_ids, rows_where, change) -> None:
    """Run `change()`, which rewrites the PersonIndicator rows matching `rows_where` (some households'),
    and move the figures of their groups by what it changed: the cells of those rows summed before,
    subtracted, and summed after, added. It costs the changed rows, not the groups' size (the worker's
    tick does this for every batch of phones' records), and leaves the figures a rewrite would write:
    a cell nobody is left in goes (tests/dashboard/test_figures.py holds it equal to a rebuild).
    Takes the groups' lock first, so two transactions shifting one group follow each other."""
    group_ids = sorted({gid for gid in group_ids if gid is not None})
    db.session.flush()
    _lock_groups(group_ids)
    before = _cells(rows_where)
    change()
    after = _cells(rows_where)
    delta: dict = {}
    for sign, rows in ((-1, before), (1, after)):
        for row in rows:
            key = (row["ward_id"], row["residential_group_id"], row["breakdown"], row["cell"])
            target = delta.setdefault(key, dict.fromkeys(FIGURE_COUNTS, 0))
            for name in FIGURE_COUNTS:
                target[name] += sign * row[name]
    delta = {key: counts for key, counts in delta.items() if any(counts.values())}
    if not delta:
        return
    table = IndicatorFigure.__table__
    groups = sorted({key[1] for key in delta})
    kept = set(
        db.session.execute(
            sa.select(table.c.ward_id, table.c.residential_group_id, table.c.breakdown, table.c.cell).where(
                table.c.residential_group_id.in_(groups)
            )
        ).all()
    )
    updates = [
        {"k_group": key[1], "k_breakdown": key[2], "k_cell": key[3], **{f"d_{name}": value for name, value in counts.items()}}
        for key, counts in delta.items()
        if key in kept
    ]
    if updates:
        db.session.execute(
            sa.update(table)
            .where(
                table.c.residential_group_id == sa.bindparam("k_group"),
                table.c.breakdown == sa.bindparam("k_breakdown"),
                table.c.cell == sa.bindparam("k_cell"),
            )
            .values({name: table.c[name] + sa.bindparam(f"d_{name}") for name in FIGURE_COUNTS}),
            updates,
        )
    new = [
        {"ward_id": key[0], "residential_group_id": key[1], "breakdown": key[2], "cell": key[3], **counts}
        for key, counts in delta.items()
        if key not in kept
    ]
    if new:
        db.session.execute(sa.insert(table), new)
    db.session.execute(sa.delete(table).where(table.c.residential_group_id.in_(groups), table.c.adults <= 0))


def rebuild_figures(ward_id: int) -> None:
    """Rewrite every figure of a ward from its PersonIndicator rows; flushes."""
    db.session.flush()
    _write(IndicatorFigure.ward_id == ward_id, PersonIndicator.ward_id == ward_id)


def _write(figures_where, rows_where) -> None:
    table = IndicatorFigure.__table__
    db.session.execute(sa.delete(table).where(figures_where))
    rows = _cells(rows_where)
    if rows:
        db.session.execute(sa.insert(table), rows)


def _counts(row) -> dict:
    """The count columns of a figure from an aggregate row labelled as in indicators._columns."""
    return {name: int(row[label] or 0) for name, label in _LABELS}


def _cells(rows_where) -> list[dict]:
    """Figure rows (dicts) of the PersonIndicator rows matching `rows_where`: one per group and cell."""
    pi = PersonIndicator
    columns = _columns(INDICATORS)
    found = []
    for breakdown, column in CELL_COLUMNS.items():
        keys = (pi.ward_id, pi.residential_group_id, *((column,) if column is not None else ()))
        for row in db.session.execute(sa.select(*keys, *columns).where(rows_where).group_by(*keys)).mappings():
            cell = row[column.key] if column is not None else None
            found.append(
                {
                    "ward_id": row["ward_id"],
                    "residential_group_id": row["residential_group_id"],
                    "breakdown": breakdown,
                    "cell": cell or "",
                    **_counts(row),
                }
            )
    flags = tuple(getattr(pi, name) for name in VULNERABLE_FLAGS)
    keys = (pi.ward_id, pi.residential_group_id, *flags)
    vulnerable: dict = {}
    for row in db.session.execute(sa.select(*keys, *columns).where(rows_where).group_by(*keys)).mappings():
        named = [name for name in VULNERABLE_FLAGS if row[name]]  # as indicators._vulnerable: NULL is not flagged
        counts = _counts(row)
        for cell in (*named, "any") if named else ("none",):
            key = (row["ward_id"], row["residential_group_id"], cell)
            target = vulnerable.setdefault(key, dict.fromkeys(FIGURE_COUNTS, 0))
            for name, value in counts.items():
                target[name] += value
    found += [
        {"ward_id": ward_id, "residential_group_id": group_id, "breakdown": "vulnerable", "cell": cell, **counts}
        for (ward_id, group_id, cell), counts in vulnerable.items()
    ]
    return found


# ---------------------------------------------------------------- reading

_SUMS = tuple(sa.func.sum(getattr(IndicatorFigure, name)).label(label) for name, label in _LABELS)


def summed(where, by: str = "total") -> list[tuple]:
    """[(key, bucket)] of one breakdown of the figures matching `where`: what `indicators.aggregate` gives
    for the same people (same keys, same buckets), keys in order (None, i.e. not asked, first)."""
    f = IndicatorFigure
    breakdown = "group" if by in ("total", "group", "ward") else by
    query = sa.select(*_SUMS).where(f.breakdown == breakdown, *where)
    if by == "total":
        return [("total", _bucket_of(db.session.execute(query).one()))]
    key = {"group": f.residential_group_id, "ward": f.ward_id}.get(by, f.cell)
    rows = db.session.execute(query.add_columns(key).group_by(key).order_by(key)).all()
    if by == "vulnerable":
        found = {row[-1]: row for row in rows}
        return [(cell, _bucket_of(found.get(cell, ()))) for cell in VULNERABLE_CELLS]
    if by in ("age_group", "sex"):
        return [(row[-1] or None, _bucket_of(row)) for row in rows]
    return [(row[-1], _bucket_of(row)) for row in rows]


#: Positions of each indicator's two sums in a row of _SUMS.
_PAIRS = tuple((ind.key, 3 + 2 * i, 4 + 2 * i) for i, ind in enumerate(INDICATORS))


def _bucket_of(row) -> dict:
    """indicators._bucket of a row of _SUMS (a plain tuple, read by position: thousands of values per answer)."""
    if not row:
        return _bucket({}, INDICATORS)
    shares = {}
    for key, n_at, of_at in _PAIRS:
        n, of = row[n_at] or 0, row[of_at] or 0
        shares[key] = {"n": int(n), "of": int(of), "share": (n / of) if of else None}
    return {"adults": int(row[0] or 0), "proxy": int(row[1] or 0), "households": int(row[2] or 0), "indicators": shares}
