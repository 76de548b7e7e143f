"""Server-side validation of an answer set against a FormSchema.

    errors = validate(schema, answers, "vi", today=date(2025, 6, 15))
    # [{"field": "b1_birth_year", "index": 0, "code": "constraint", "message": "..."}]

Codes: required, constraint (also a range answer off its scale), not_relevant, unknown_choice, type (also
a rank leaving a choice out), too_many. `index` is the entry
of the repeat (0-based) or None for the household part; inside a repeat an error also has `path`,
the entry numbers from the outermost repeat in: [1, 0] is the first entry of a nested repeat in
the second entry of its parent (`index` is then 0). Calculations are computed here, by the
server, from the answers (whatever values the phone sent for them); `complete()` gives the
answers with those values, as they should be stored. `today` is the day the form was filled in
(it decides `today()`, so the survey year); it defaults to the server's date.
"""

from __future__ import annotations

import math
import weakref
from datetime import date

from survey_app.formdefs.evaluator import Context, plain_value, to_bool, to_number
from survey_app.formdefs.fieldtypes import TYPES, QuestionType, TypeMismatch
from survey_app.formdefs.messages import ANSWER, TYPE, render
from survey_app.formdefs.schema import Field, FormSchema

_PLANS: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def validate(schema: FormSchema, answers, lang: str = "vi", *, today: date | None = None) -> list[dict]:
    """Every problem of `answers`, in the form's order, with messages in `lang`."""
    return _Run(schema, lang, today).execute(answers)[0]


def complete(schema: FormSchema, answers: dict, *, today: date | None = None) -> dict:
    """The answers as stored: calculations computed by the server, non-relevant answers left out."""
    return _Run(schema, "en", today).execute(answers)[1]


def to_answer(value):
    """A calculation's result as an answer: integral numbers as int, no value as None."""
    value = plain_value(value)
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        if not math.isfinite(value):
            return None
        return int(value) if value.is_integer() else value
    if value == "" or value == []:
        return None
    return value


def is_empty(value) -> bool:
    return value is None or value == "" or value == []


class _Step:
    """One field, ready to check: its compiled expressions and the groups around it (compiled once)."""

    __slots__ = (
        "item",
        "name",
        "kind",
        "qtype",
        "answered",
        "relevant",
        "groups",
        "required",
        "constraint",
        "choice_filter",
        "calculate",
        "choices",
        "max_selected",
        "always_relevant",
        "checks_problem",
    )

    def __init__(self, schema: FormSchema, item: Field, top: Field | None):
        # A calculation with a trigger is set by the phone when its trigger changes (ODK's setvalue): the
        # server keeps the value sent, as an answer, and never computes it again.
        triggered = bool(item.trigger) and item.type == "calculate"
        self.item, self.name, self.kind = item, item.name, "triggered" if triggered else item.type
        self.qtype = TYPES[item.type]
        self.answered = self.qtype.answered or triggered
        self.relevant = item.expression("relevant")
        chain, parent = [], item.parent
        while parent is not None and parent is not top:
            if parent.expression("relevant") is not None:
                chain.append((parent.name, parent.expression("relevant")))
            parent = parent.parent
        self.groups = tuple(reversed(chain))
        self.required = item.required if isinstance(item.required, bool) else item.expression("required")
        self.constraint = item.expression("constraint")
        self.choice_filter = item.expression("choice_filter")
        self.calculate = None if item.trigger else item.expression("calculate")
        self.choices = schema.choice_index(item.list_name) if item.list_name else None
        self.max_selected = _max_selected(item) if item.type == "select_multiple" else None
        #: Shortcuts for the common case (these are checked for some ~130 fields of every household).
        self.always_relevant = self.relevant is None and not self.groups
        self.checks_problem = type(self.qtype).problem is not QuestionType.problem


class _Scope:
    """What validation needs to know about one level (the household part or a repeat entry)."""

    def __init__(self, schema: FormSchema, repeat: Field | None):
        self.steps = [_Step(schema, item, repeat) for item in schema.scope(repeat)]
        self.names = {step.name for step in self.steps}
        by_name = {step.name: step for step in self.steps}
        calculations = _in_dependency_order([s.item for s in self.steps if s.kind == "calculate"])
        early = _read_before_computed(schema, self.steps)
        #: Calculations some earlier field reads: computed once before the walk in form order.
        self.calculations = [by_name[item.name] for item in calculations if item.name in early]


_EXPRESSIONS = ("relevant", "required", "constraint", "choice_filter", "calculate", "repeat_count")


def _reads(schema: FormSchema, item: Field) -> set[str]:
    """Names a field's expressions read (for a repeat: those of everything inside it too)."""
    items = [item] + (list(schema.walk(item.children)) if item.type == "repeat" else [])
    return {
        ref
        for one in items
        for attribute in _EXPRESSIONS
        if (expression := one.expression(attribute)) is not None
        for ref in expression.refs
    }


def _read_before_computed(schema: FormSchema, steps: list[_Step]) -> set[str]:
    """Calculations read by a field that comes before them, with the calculations they need."""
    position = {step.name: number for number, step in enumerate(steps)}
    calculations = {step.name: step for step in steps if step.kind == "calculate"}
    early = {
        ref
        for number, step in enumerate(steps)
        for ref in _reads(schema, step.item)
        if ref in calculations and position[ref] > number
    }
    pending = list(early)
    while pending:
        for ref in calculations[pending.pop()].calculate.refs:
            if ref in calculations and ref not in early:
                early.add(ref)
                pending.append(ref)
    return early


def _plan(schema: FormSchema) -> dict:
    plan = _PLANS.get(schema)
    if plan is None:
        plan = {None: _Scope(schema, None)}
        plan.update({r.name: _Scope(schema, r) for r in schema.repeats})
        plan["instances"] = secondary_instances(schema)
        plan["choice_lists"] = {f.name: f.list_name for f in schema.walk() if f.list_name}
        _PLANS[schema] = plan
    return plan


def secondary_instances(schema: FormSchema) -> dict[str, list[dict]]:
    """What instance('name') reads: the choice lists, then the rows of the files attached or served."""
    return {**choice_instances(schema), **schema.instances}


def choice_instances(schema: FormSchema) -> dict[str, list[dict]]:
    """The choice lists as secondary instances, for instance('list')/root/item[...] and jr:choice-name():
    each choice's columns, its name and its label in the form's default language (as on the phone)."""
    return {
        list_name: [
            {**choice.extra, "name": choice.name, "label": schema.text(choice.label, schema.default_language)}
            for choice in choices
        ]
        for list_name, choices in schema.choices.items()
    }


def _in_dependency_order(calculations: list[Field]) -> list[Field]:
    """Calculations after the calculations they read (cycles were refused when the form was loaded)."""
    by_name = {f.name: f for f in calculations}
    ordered, seen = [], set()

    def visit(item):
        if item.name in seen:
            return
        seen.add(item.name)
        for ref in sorted(item.expression("calculate").refs):
            if ref in by_name:
                visit(by_name[ref])
        ordered.append(item)

    for item in calculations:
        visit(item)
    return ordered


def _max_selected(item: Field) -> int | None:
    """N when the constraint contains `count-selected(.) <= N` (a failure then means too many)."""
    expression = item.expression("constraint")
    if expression is None:
        return None
    parts, node = [], expression.ast
    while node[0] == "bin" and node[1] == "and":
        parts.append(node[3])
        node = node[2]
    parts.append(node)
    counting = ("call", "count-selected", (("dot",),))
    for part in parts:
        if part[0] != "bin" or part[1] not in ("<=", "<", ">=", ">"):
            continue
        op, left, right = part[1], part[2], part[3]
        if right == counting and left[0] == "num":
            op, left, right = {"<=": ">=", "<": ">", ">=": "<=", ">": "<"}[op], right, left
        if left == counting and right[0] == "num" and op in ("<=", "<"):
            return int(right[1]) - (1 if op == "<" else 0)
    return None


class _Run:
    def __init__(self, schema: FormSchema, lang: str, today: date | None):
        self.schema = schema
        self.lang = lang
        self.today = (today or date.today()).isoformat()
        self.plan = _plan(schema)
        self.errors: list[dict] = []

    def error(self, item_name, path, code, message):
        """`path`: the entry numbers leading to the field's level, outermost first (() at the top level)."""
        error = {"field": item_name, "index": path[-1] if path else None, "code": code, "message": message}
        if path:
            error["path"] = list(path)
        self.errors.append(error)

    def execute(self, answers) -> tuple[list[dict], dict]:
        if not isinstance(answers, dict):
            self.error(None, None, "type", render(ANSWER["answers"], self.lang))
            return self.errors, {}
        cleaned = self.scope(self.plan[None], answers, [], ())
        return self.errors, cleaned

    def scope(self, scope: _Scope, submitted: dict, outer: list[dict], path: tuple) -> dict:
        """Check one level; returns its cleaned answers (the values expressions see).

        `outer` holds the cleaned answers of the levels around it, the top level first; `path` the
        entry numbers that lead to it (empty for the top level)."""
        working: dict = {}
        for step in scope.steps:
            value = submitted.get(step.name)
            if value is None:
                continue
            if step.kind == "repeat" and isinstance(value, list):
                # until the repeat is checked, expressions before it read its entries as submitted
                working[step.name] = [entry for entry in value if isinstance(entry, dict)]
            elif step.answered and not is_empty(value):
                try:
                    working[step.name] = step.qtype.coerce(value)
                except TypeMismatch:
                    pass
        plan = self.plan
        shared = {"today": self.today, "instances": plan["instances"], "choice_lists": plan["choice_lists"]}
        context = (
            Context(values=working, **shared)
            if not outer
            else Context(
                values=outer[0],
                parents=tuple(outer[1:]),
                member=working,
                positions=tuple(number + 1 for number in path),
                **shared,
            )
        )
        for step in scope.calculations:
            self.calculate(step, context, working)
        if not scope.names.issuperset(submitted):
            for key in submitted:
                if key not in scope.names:
                    self.error(key, path, "not_relevant", self.say(ANSWER["not_in_form"]))
        groups: dict[str, bool] = {}
        for step in scope.steps:
            if step.always_relevant:
                context.dot = working.get(step.name)
                relevant = True
            else:
                relevant = self.relevant(step, context, groups, working.get(step.name))
            if step.kind == "calculate":
                if relevant:
                    self.calculate(step, context, working)
                else:
                    working.pop(step.name, None)
            elif step.kind == "repeat":
                entries = self.repeat(step.item, submitted.get(step.name), relevant, context, [*outer, working], path)
                if entries is not None:
                    working[step.name] = entries
                else:
                    working.pop(step.name, None)
            else:
                self.answer(step, submitted.get(step.name), relevant, context, working, path)
        return working

    @staticmethod
    def calculate(step: _Step, context: Context, working: dict):
        value = to_answer(step.calculate.evaluate(context))
        if value is None:
            working.pop(step.name, None)
        else:
            working[step.name] = value

    @staticmethod
    def relevant(step: _Step, context: Context, groups: dict, dot) -> bool:
        """The field's own relevant and that of every group around it, up to its repeat."""
        for name, expression in step.groups:
            if name not in groups:
                context.dot = None
                groups[name] = to_bool(expression.evaluate(context))
            if not groups[name]:
                return False
        context.dot = dot
        return step.relevant is None or to_bool(step.relevant.evaluate(context))

    def answer(self, step: _Step, value, relevant: bool, context: Context, working: dict, index):
        name, say = step.name, self.say
        if value is None or value == "" or value == []:
            working.pop(name, None)
            if not relevant or not step.answered or step.required is False:
                return
            if step.required is True or to_bool(step.required.evaluate(context)):
                message = self.schema.text(step.item.required_message, self.lang) or say(ANSWER["required"])
                self.error(name, index, "required", message)
            return
        if not relevant or not step.answered:
            working.pop(name, None)
            self.error(name, index, "not_relevant", say(ANSWER["not_relevant"]))
            return
        if name not in working:
            self.error(name, index, "type", say(TYPE[step.qtype.type_key]))
            return
        coerced = working[name]
        if step.choices is not None:
            unknown = self.unknown_choice(step, coerced, context)
            if unknown is not None:
                working.pop(name, None)
                self.error(name, index, "unknown_choice", say(ANSWER["unknown_choice"], value=unknown))
                return
            if step.kind == "rank" and len(coerced) != len(self.shown_choices(step, context)):
                working.pop(name, None)
                self.error(name, index, "type", say(TYPE["rank"]))
                return
        problem = step.qtype.problem(step.item, coerced) if step.checks_problem else None
        if problem is not None:
            self.error(name, index, "constraint", say(ANSWER[problem[0]], **problem[1]))
            return
        context.dot = coerced
        if step.constraint is not None and not to_bool(step.constraint.evaluate(context)):
            if step.max_selected is not None and len(coerced) > step.max_selected:
                self.error(name, index, "too_many", say(ANSWER["too_many"], max=step.max_selected))
            else:
                message = self.schema.text(step.item.constraint_message, self.lang) or say(ANSWER["constraint"])
                self.error(name, index, "constraint", message)

    @staticmethod
    def unknown_choice(step: _Step, value, context: Context):
        """The first chosen name that is not a choice of the list (or that its choice_filter hides)."""
        if step.choice_filter is None:
            if not isinstance(value, list):
                return None if value in step.choices else value
            return next((name for name in value if name not in step.choices), None)
        names = value if isinstance(value, list) else (value,)
        for name in names:
            choice = step.choices.get(name)
            if choice is None:
                return name
            context.choice = choice.row()
            shown = to_bool(step.choice_filter.evaluate(context))
            context.choice = None
            if not shown:
                return name
        return None

    @staticmethod
    def shown_choices(step: _Step, context: Context) -> list[str]:
        """The names of the choices its choice_filter keeps (all of them without one)."""
        if step.choice_filter is None:
            return list(step.choices)
        shown = []
        for choice in step.choices.values():
            context.choice = choice.row()
            if to_bool(step.choice_filter.evaluate(context)):
                shown.append(choice.name)
        context.choice = None
        return shown

    def repeat(self, item: Field, value, relevant: bool, context: Context, outer: list[dict], path: tuple) -> list | None:
        if not relevant:
            if not is_empty(value):
                self.error(item.name, path, "not_relevant", self.say(ANSWER["not_relevant"]))
            return None
        if value is None:
            value = []
        if not isinstance(value, list):
            self.error(item.name, path, "type", self.say(TYPE["repeat"]))
            return None
        count = item.expression("repeat_count")
        if count is not None:
            context.dot = None
            wanted = to_number(count.evaluate(context))
            if math.isfinite(wanted) and max(int(wanted), 0) != len(value):
                self.error(item.name, path, "constraint", self.say(ANSWER["repeat_count"], count=max(int(wanted), 0)))
        entries = []
        # While the entries are checked, paths such as ${r}[position() = position(..) - 1]/x read the
        # entries as submitted (the phone does the same): scope() put them in the level around.
        for number, entry in enumerate(value):
            if not isinstance(entry, dict):
                self.error(item.name, (*path, number), "type", self.say(ANSWER["entry"]))
                continue
            entries.append(self.scope(self.plan[item.name], entry, outer, (*path, number)))
        return entries

    def say(self, message, **params) -> str:
        return render(message, self.lang, **params)
