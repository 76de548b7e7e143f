"""A valid answer set for any form, found by asking the server's own validation what is wrong.

    answers, problems = valid_answers(schema)   # problems == [] when one was found

Every question gets the first example of its type (a choice of its list, a number, a date, ...); then,
round after round, each problem validation reports is fixed: a required answer is given, an answer that
fails its constraint or type takes the next example, an answer to a question not shown is removed.
"""

from __future__ import annotations

from survey_app.formdefs.fieldtypes import TYPES
from survey_app.formdefs.schema import Field, FormSchema
from survey_app.formdefs.validation import validate
from tests.formdefs.answers import TODAY

EXAMPLES = {
    "text": ["Nguyễn Văn An", "a", "1", "yes", "0912345678", "abc123"],
    "integer": [1, 2, 0, 5, 10, 18, 25, 40, 65, 100, 1000, 2000, -1],
    "decimal": [1.5, 2.0, 0.5, 0.0, 10.0, 25.5, 100.0, 1000.0, -1.0],
    "date": ["2025-06-15", "2025-01-01", "2000-01-01", "1980-05-05", "1950-01-01", "2030-01-01"],
    "time": ["10:30:00.000+07:00", "08:00:00.000+07:00", "20:00:00.000+07:00"],
    "datetime": ["2025-06-15T10:30:00.000+07:00", "2020-01-01T08:00:00.000+07:00"],
    "geopoint": ["21.0285 105.8542 12 5", "10.7769 106.7009 0 10"],
    "acknowledge": ["OK"],
    "start": ["2025-06-15T09:00:00.000+07:00"],
    "end": ["2025-06-15T09:20:00.000+07:00"],
    "today": ["2025-06-15"],
    "deviceid": ["test-device-1"],
    "username": ["khaosat"],
    "phonenumber": ["0912345678"],
    "email": ["an@example.org"],
    "simserial": ["8984"],
    "subscriberid": ["45204"],
    "trigger": ["OK"],
    "barcode": ["8934567000012", "ABC-123"],
    "hidden": ["x"],
    "start-geopoint": ["21.0285 105.8542 12 5"],
    "geotrace": ["21.0285 105.8542 0 5;21.03 105.86 0 5"],
    "geoshape": ["21.02 105.85 0 5;21.03 105.85 0 5;21.03 105.86 0 5;21.02 105.85 0 5"],
}


def examples(schema: FormSchema, item: Field) -> list:
    names = [choice.name for choice in schema.choices.get(item.list_name or "", [])]
    if item.type == "select_one":
        return names
    if item.type == "select_multiple":
        return [[name] for name in names] + ([names[:2]] if len(names) > 1 else [])
    if item.type == "rank":
        return [names, names[::-1]]
    if item.type == "range":  # the ends and the middle of its scale
        start, end, step = item.number("start", 1), item.number("end", 10), item.number("step", 1) or 1
        middle = start + step * int(abs(end - start) / step / 2) * (1 if end >= start else -1)
        return [int(v) if float(v).is_integer() else v for v in (start, middle, end)]
    return EXAMPLES.get(item.type) or EXAMPLES["text"]


def _answered(item: Field) -> bool:
    qtype = TYPES.get(item.type)
    return qtype is not None and qtype.answered and not item.prefilled


def _level(schema: FormSchema, fields: list[Field]) -> dict:
    answers: dict = {}
    for item in fields:
        if item.type == "group":
            answers.update(_level(schema, item.children))
        elif item.type == "repeat":
            count = _fixed_count(item)
            answers[item.name] = [_level(schema, item.children) for _ in range(count)]
        elif _answered(item) and not item.calculate and examples(schema, item):
            answers[item.name] = examples(schema, item)[0]
    return answers


def _fixed_count(item: Field) -> int:
    try:
        return max(0, int(float(item.repeat_count))) if item.repeat_count else 1
    except ValueError:
        return 1


def valid_answers(schema: FormSchema, rounds: int = 60, today=TODAY) -> tuple[dict, list[dict]]:
    """`today`: the day the form is filled in (the phone's own clock in a browser test)."""
    answers = _level(schema, schema.fields)
    tried: dict[tuple, int] = {}
    problems = validate(schema, answers, "en", today=today)
    for _ in range(rounds):
        if not problems:
            break
        for problem in problems:
            _fix(schema, answers, problem, tried)
        problems = validate(schema, answers, "en", today=today)
    return answers, problems


def _fix(schema: FormSchema, answers: dict, problem: dict, tried: dict) -> None:
    item = schema.by_name.get(problem["field"] or "")
    if item is None:
        return
    path = problem.get("path") or ([] if problem["index"] is None else [problem["index"]])
    if item.type == "repeat":
        container = _entry(answers, item.repeat, path)  # the level the repeat is answered in
        if container is None or problem["code"] == "type" and len(path) > _depth(item.repeat):
            return  # an entry that is not a dict: left as it is
        if problem["code"] == "not_relevant":
            container.pop(item.name, None)
        elif problem["code"] == "constraint":  # repeat_count
            wanted = [int(word) for word in problem["message"].split() if word.isdigit()]
            if wanted:
                entries = container.setdefault(item.name, [])
                del entries[wanted[0] :]
                entries.extend(_level(schema, item.children) for _ in range(wanted[0] - len(entries)))
        return
    level = _entry(answers, item.repeat, path)
    if level is None:
        return
    key = (item.name, tuple(path))
    options = examples(schema, item)
    if problem["code"] == "not_relevant":
        level.pop(item.name, None)
    elif problem["code"] == "required":
        level[item.name] = options[tried.get(key, 0) % len(options)] if options else "a"
    else:
        tried[key] = tried.get(key, 0) + 1
        if tried[key] < len(options):
            level[item.name] = options[tried[key]]
        else:
            level.pop(item.name, None)


def _depth(repeat: Field | None) -> int:
    return 0 if repeat is None else 1 + _depth(repeat.repeat)


def _entry(answers: dict, repeat: Field | None, path: list[int]) -> dict | None:
    """The answers of the entry of `repeat` that `path` (entry numbers, outermost first) leads to;
    the top level's answers for no repeat."""
    chain = []
    while repeat is not None:
        chain.insert(0, repeat.name)
        repeat = repeat.repeat
    level = answers
    for name, index in zip(chain, path):
        entries = level.get(name)
        if not isinstance(entries, list) or not (0 <= index < len(entries)) or not isinstance(entries[index], dict):
            return None
        level = entries[index]
    return level if len(path) >= len(chain) else None
