"""Sheets for the household form's repeats other than the members: a second repeat, or a repeat
nested in each member (or in another repeat's entries), one sheet each.

Rows are linked as ODK Central links them: every entry has a KEY, "<submission id>/<repeat>[n]/...",
with 1-based entry numbers along the way ("812/members[2]/phones[1]"), and a PARENT_KEY, the KEY of
the entry it is inside ("812/members[2]"; just "812", the submission id, for a repeat at the top).
When a repeat sits inside the members, the persons sheet gets a KEY column too (persons_sheet).
"""

from __future__ import annotations

from collections.abc import Iterator

from survey_app.exports import queries
from survey_app.exports.answers import MEMBERS, RepeatLayout, label_in
from survey_app.exports.spec import TEXT, Column, Scope, Sheet, id_column, ref_column

KEY, PARENT_KEY = "KEY", "PARENT_KEY"


def entry_key(submission_id, steps) -> str:
    """The KEY of an entry: steps are (repeat name, 0-based index) from the top of the answers."""
    return "/".join([str(submission_id), *(f"{name}[{index + 1}]" for name, index in steps)])


def entries(answers, path: tuple[str, ...], steps: tuple = ()) -> Iterator[tuple[tuple, dict]]:
    """(steps, entry) of every entry of the repeat at `path` inside an answer set, in order."""
    if not path or not isinstance(answers, dict):
        return
    value = answers.get(path[0])
    if not isinstance(value, list):
        return
    for index, entry in enumerate(value):
        if not isinstance(entry, dict):
            continue
        here = (*steps, (path[0], index))
        if len(path) == 1:
            yield here, entry
        else:
            yield from entries(entry, path[1:], here)


def keys_members(repeats: list[RepeatLayout]) -> bool:
    """Whether a repeat sits inside the members (the persons sheet then needs its KEY column)."""
    return any(len(repeat.path) > 1 and repeat.path[0] == MEMBERS for repeat in repeats)


def repeat_sheet(scope: Scope, repeat: RepeatLayout, household_kind: str) -> Sheet:
    """The entries of one repeat; `household_kind` is the pseudonym kind of household ids."""
    columns = [
        Column(KEY, "KEY", "KEY", TEXT, 24),
        Column(PARENT_KEY, "PARENT_KEY", "PARENT_KEY", TEXT, 22),
        ref_column(scope, "household_id", "Mã hộ", "Household id"),
        Column("group", "Tổ dân phố", "Residential group", TEXT, 10),
        id_column("submission_id", "Mã phiếu", "Submission id", 10),
    ]
    loop = [label_in(c["label"], scope.lang, c["name"]) for c in repeat.loop] if repeat.loop else None
    if loop is not None:  # a loop's entry is one choice of its list
        columns.append(
            Column(
                "choice",
                "Lựa chọn",
                "Choice",
                TEXT,
                16,
                "; ".join(f"{c['name']} = {label_in(c['label'], 'vi', c['name'])}" for c in repeat.loop),
            )
        )
    columns += repeat.layout.columns()
    statement = queries.households(scope)

    def found():
        for hid, group_id, *_rest, sid, _version, _channel, _review, _received, answers in queries.stream(
            statement, queries.YIELD_PER_ANSWERS
        ):
            if sid is None:
                continue
            for steps, entry in entries(answers, repeat.path):
                yield hid, group_id, sid, steps, entry

    def rows():
        ref, codes, values = scope.ref(household_kind), queries.group_codes(scope), repeat.layout.values
        for hid, group_id, sid, steps, entry in found():
            head = (entry_key(sid, steps), entry_key(sid, steps[:-1]), ref(hid), codes.get(group_id), sid)
            if loop is not None:
                index = steps[-1][1]
                head += (loop[index] if index < len(loop) else None,)
            yield (*head, *values(entry))

    return Sheet(
        f"repeat_{repeat.name}",
        f"Lặp {repeat.name}",
        f"Repeat {repeat.name}",
        columns,
        rows,
        lambda: sum(1 for _ in found()),
        freeze_columns=2,
    )
