"""The printable paper questionnaire of a form version, for the places without a signal.

`paper_form(schema, lang)` turns a FormSchema into what the print template shows: numbered questions
in form order, tick boxes for choices, lines and boxes to write in, each repeat printed as a fixed
number of blocks, and the skip logic in words ("Chỉ hỏi nếu câu 6 là «Có»", "→ Chuyển sang câu 8")
from the `relevant` expressions. Calculations, hidden fields and what the phone records by itself are
not printed. An expression too complex for a sentence is still worded (question numbers, choice labels,
operators as words), never shown as XPath.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from flask_babel import gettext as _

from survey_app.formdefs.expressions import ExpressionError, parse
from survey_app.formdefs.schema import Field, FormSchema

#: Types never printed: computed, hidden, or recorded by the phone itself.
NOT_PRINTED = {
    "calculate",
    "hidden",
    "audit",
    "start",
    "end",
    "today",
    "deviceid",
    "username",
    "phonenumber",
    "email",
    "simserial",
    "subscriberid",
    "start-geopoint",
}
#: Types answered on the phone only (a photo, a sound, a GPS trace...).
PHONE_ONLY = {"image", "audio", "video", "file", "geotrace", "geoshape"}
#: Blocks printed for a repeat without a fixed count (household members), and the most one may ask for.
DEFAULT_BLOCKS = 6
MAX_BLOCKS = 15
#: Blocks of a repeat inside a repeat.
NESTED_BLOCKS = 2
#: Questions over the same list printed as one table: at least this many, with at most that many choices.
GRID_ROWS = 3
GRID_CHOICES = 5
#: Choices printed on one line when there are this many at most and their labels are short.
INLINE_CHOICES = 4
INLINE_LENGTH = 60
#: A list longer than this (a list from a file, an entity list) gets a line to write the answer on.
MAX_PRINTED_CHOICES = 40
_LABEL_REF = re.compile(r"\$\{([^}]+)\}")


class _Unknown(Exception):
    """The value cannot be known from the one answer assumed."""


@dataclass
class Item:
    """One printed thing: a heading, a note, a question or a repeat with its blocks."""

    kind: str  # "heading" | "note" | "question" | "repeat" | "grid" (questions as rows of one table)
    name: str = ""
    number: int | None = None
    label: str = ""
    hint: str = ""
    #: The question type as printed: "choices", "text", "number", "date", "time", "datetime", "geopoint", ...
    widget: str = ""
    multiple: bool = False
    choices: list[dict] = field(default_factory=list)
    #: Lines to write on (text); for choices, 0 when they fit on one line.
    lines: int = 1
    #: "Chỉ hỏi nếu ..." (or "Chỉ hỏi phần này nếu ..." for a heading).
    skip: str = ""
    #: What the answer must be, in the form's words (its constraint message).
    rule: str = ""
    #: "Nếu câu 6 là «Có», chuyển sang câu 8." (from the skip logic of the questions after it).
    jumps: list[str] = field(default_factory=list)
    blocks: list[dict] = field(default_factory=list)
    count_text: str = ""
    depth: int = 0


@dataclass
class PaperForm:
    form_id: str
    version: str
    title: str
    lang: str
    items: list[Item]
    questions: int


def blocks_wanted(value) -> int:
    """The number of blocks asked for (?blocks=), kept between 1 and MAX_BLOCKS."""
    try:
        number = int(value)
    except (TypeError, ValueError):
        return DEFAULT_BLOCKS
    return min(max(number, 1), MAX_BLOCKS)


def printed(item: Field) -> bool:
    """Whether a field appears on paper (structural fields are printed as headings and blocks)."""
    if item.type in NOT_PRINTED:
        return False
    if item.read_only and item.calculate:  # a computed value shown on the phone
        return False
    return True


def paper_form(schema: FormSchema, lang: str = "vi", blocks: int = DEFAULT_BLOCKS) -> PaperForm:
    """What the print page shows of one form version."""
    builder = _Builder(schema, lang, blocks)
    return PaperForm(schema.form_id, schema.version, schema.title, lang, builder.build(), len(builder.numbers))


class _Builder:
    def __init__(self, schema: FormSchema, lang: str, blocks: int):
        self.schema, self.lang, self.blocks = schema, lang, blocks
        self.numbers: dict[str, int] = {}
        for item in schema.walk():
            if not item.structural and item.type != "note" and printed(item):
                self.numbers[item.name] = len(self.numbers) + 1
        self.words = Words(schema, lang, self.numbers)

    def text(self, texts) -> str:
        return self.words.label(self.schema.text(texts, self.lang))

    def build(self) -> list[Item]:
        return self.level(self.schema.fields, None, 0)

    def level(self, fields: list[Field], loop_word: str | None, depth: int, whole: bool = True) -> list[Item]:
        """The printed items of some fields of one level (`whole`: all of it, not a group inside it)."""
        items: list[Item] = []
        for item in fields:
            if item.type == "group":
                heading = Item(
                    "heading",
                    name=item.name,
                    label=self._fill(self.text(item.label), loop_word),
                    hint=self.text(item.hint),
                    skip=self.words.only_if(item.relevant, section=True),
                    depth=depth,
                )
                inner = self.level(item.children, loop_word, depth + 1, whole=False)
                if heading.label or heading.skip:
                    items.append(heading)
                items.extend(inner)
            elif item.type == "repeat":
                items.append(self.repeat(item, depth))
            elif item.type == "note":
                if printed(item) and self.text(item.label):
                    items.append(
                        Item(
                            "note",
                            name=item.name,
                            label=self._fill(self.text(item.label), loop_word),
                            skip=self.words.only_if(item.relevant),
                        )
                    )
            elif printed(item):
                items.append(self.question(item, loop_word))
        if whole:
            self.route(items, fields)
            items = self.grids(items)
        return items

    def grids(self, items: list[Item]) -> list[Item]:
        """Runs of GRID_ROWS or more select_one questions of one group over the same short list, with no
        jump, printed as one table (a row per question, a column per choice): the skills, the difficulties."""
        result: list[Item] = []
        run: list[Item] = []

        def key(entry: Item):
            if (
                entry.kind != "question"
                or entry.widget != "choices"
                or entry.multiple
                or entry.jumps
                or len(entry.choices) > GRID_CHOICES
            ):
                return None
            parent = self.schema.by_name[entry.name].parent
            return (parent.name if parent is not None else None, tuple(c["name"] for c in entry.choices))

        def flush():
            if len(run) >= GRID_ROWS:
                result.append(Item("grid", name=run[0].name, choices=run[0].choices, blocks=[{"row": q} for q in run]))
            else:
                result.extend(run)
            run.clear()

        for entry in items:
            if run and key(entry) is not None and key(entry) == key(run[0]):
                run.append(entry)
                continue
            flush()
            if key(entry) is not None:
                run.append(entry)
            else:
                result.append(entry)
        flush()
        return result

    def repeat(self, item: Field, depth: int) -> Item:
        title = self.text(item.label) or item.name
        loop = self.schema.choices.get(item.list_name, []) if item.list_name else None
        count = _fixed_count(item.repeat_count)
        if loop is not None:
            words = [self.schema.text(c.label, self.lang) or c.name for c in loop]
        else:
            number = count if count is not None else (self.blocks if item.repeat is None else NESTED_BLOCKS)
            words = [None] * min(number, MAX_BLOCKS)
        blocks = []
        for index, word in enumerate(words):
            heading = (
                (title.replace("%(label)s", word) if "%(label)s" in title else f"{title}: {word}")
                if word is not None
                else _("%(part)s — no. %(number)s", part=title, number=index + 1)
            )
            blocks.append({"title": heading, "items": self.level(item.children, word, depth + 1)})
        count_text = ""
        if item.repeat_count and count is None:
            count_text = _("Fill in one block for each: %(count)s.", count=self.words.value(item.repeat_count))
        elif loop is None and count is None:
            count_text = _("Fill in one block for each entry; use another sheet if there are more than %(n)s.", n=len(words))
        return Item(
            "repeat",
            name=item.name,
            label=title,
            skip=self.words.only_if(item.relevant, section=True),
            blocks=blocks,
            count_text=count_text,
            depth=depth,
        )

    @staticmethod
    def _fill(text: str, word: str | None) -> str:
        return text.replace("%(label)s", word) if word is not None else text

    def question(self, item: Field, loop_word: str | None) -> Item:
        printed_item = Item(
            "question",
            name=item.name,
            number=self.numbers[item.name],
            label=self._fill(self.text(item.label), loop_word) or item.name,
            hint=self.text(item.hint),
            skip=self.words.only_if(item.relevant),
            rule=self.text(item.constraint_message),
        )
        kind = item.type
        if kind in ("select_one", "select_multiple", "rank"):
            choices = self.schema.choices.get(item.list_name or "", [])
            if len(choices) > MAX_PRINTED_CHOICES or not choices:
                printed_item.widget = "text"
            else:
                printed_item.widget = "rank" if kind == "rank" else "choices"
                printed_item.multiple = kind == "select_multiple"
                printed_item.choices = [
                    {"name": c.name, "label": self.words.label(self.schema.text(c.label, self.lang) or c.name), "goto": ""}
                    for c in choices
                ]
                if item.or_other and not any(c["name"] == "other" for c in printed_item.choices):
                    printed_item.choices.append({"name": "other", "label": _("Other"), "goto": ""})
                printed_item.lines = (
                    0
                    if len(printed_item.choices) <= INLINE_CHOICES
                    and sum(len(c["label"]) for c in printed_item.choices) <= INLINE_LENGTH
                    else 1
                )  # 0: on one line
        elif kind in ("integer", "decimal", "range"):
            printed_item.widget = "number"
            if kind == "range":
                printed_item.hint = " ".join(
                    filter(
                        None,
                        [
                            printed_item.hint,
                            _(
                                "A number from %(start)s to %(end)s.",
                                start=_number_text(item.number("start", 1)),
                                end=_number_text(item.number("end", 10)),
                            ),
                        ],
                    )
                )
        elif kind in ("date", "time", "datetime", "geopoint", "acknowledge", "trigger"):
            printed_item.widget = "acknowledge" if kind == "trigger" else kind
        elif kind in PHONE_ONLY:
            signature = kind == "image" and "signature" in (item.appearance or "")
            printed_item.widget = "signature" if signature else "phone_only"
        else:  # text, barcode
            printed_item.widget = "text"
            printed_item.lines = 3 if "multiline" in (item.appearance or "") else 1
        return printed_item

    def route(self, items: list[Item], fields: list[Field]) -> None:
        """ "→ Chuyển sang câu K" beside each choice after which the next questions of the level do not apply."""
        questions = [(i, entry) for i, entry in enumerate(items) if entry.kind in ("question", "repeat", "heading")]
        conditions = _level_conditions(fields)
        order = [entry for _i, entry in questions if entry.kind != "heading"]
        for position, entry in enumerate(order):
            if entry.kind != "question" or not entry.choices or entry.widget != "choices":
                continue
            source = self.schema.by_name.get(entry.name)
            names = [c["name"] for c in entry.choices]
            jumps: dict[str, list[str]] = {}
            for choice in entry.choices:
                skipped, target = 0, None
                for following in order[position + 1 :]:
                    if not _skipped_when(conditions.get(following.name, []), source, choice["name"], names):
                        target = following
                        break
                    skipped += 1
                if not skipped:
                    continue
                if target is None:
                    choice["goto"], where = _("→ Go to the next part"), _("go to the next part")
                elif target.kind == "repeat":
                    choice["goto"] = _("→ Go to part «%(part)s»", part=target.label)
                    where = _("go to part «%(part)s»", part=target.label)
                else:
                    choice["goto"] = _("→ Go to question %(number)s", number=target.number)
                    where = _("go to question %(number)s", number=target.number)
                jumps.setdefault(where, []).append(f"«{choice['label']}»")
            entry.jumps = [
                _(
                    "If question %(number)s is %(choices)s, %(where)s.",
                    number=entry.number,
                    choices=_(" or ").join(labels),
                    where=where,
                )
                for where, labels in jumps.items()
            ]


def _fixed_count(count: str | None) -> int | None:
    try:
        return int(float(count)) if count not in (None, "") else None
    except ValueError:
        return None


def _number_text(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else str(value)


def _level_conditions(fields: list[Field]) -> dict[str, list[str]]:
    """The relevants deciding each field of a level (its own and its groups'), by name; repeats included."""
    found: dict[str, list[str]] = {}

    def visit(items, around):
        for item in items:
            own = around + ([item.relevant] if item.relevant else [])
            if item.type == "group":
                visit(item.children, own)
            else:
                found[item.name] = own

    visit(fields, [])
    return found


def _skipped_when(conditions: list[str], source: Field | None, choice: str, names: list[str]) -> bool:
    """Whether one of these relevants reads only `source` and is false when `choice` is its answer (for a
    select_multiple: `choice` alone, or with any other choice)."""
    if source is None:
        return False
    if source.type == "select_multiple":
        tries = [[choice]] + [[choice, other] for other in names if other != choice]
    else:
        tries = [choice]
    for condition in conditions:
        try:
            ast = parse(condition)
        except ExpressionError:
            continue
        try:
            if all(_evaluate(ast, {source.name: value}) is False for value in tries):
                return True
        except _Unknown:
            continue
    return False


def _evaluate(node, values: dict):
    """A relevant's value when only `values` are known; _Unknown when it needs anything else."""
    kind = node[0]
    if kind == "str":
        return node[1]
    if kind == "num":
        return node[1]
    if kind == "ref":
        if node[1] not in values:
            raise _Unknown
        return values[node[1]]
    if kind == "bin":
        op = node[1]
        if op in ("and", "or"):
            results = []
            for side in node[2:]:
                try:
                    results.append(bool(_evaluate(side, values)))
                except _Unknown:
                    results.append(None)
            if op == "and":
                return False if False in results else (True if None not in results else _raise())
            return True if True in results else (False if None not in results else _raise())
        left, right = _evaluate(node[2], values), _evaluate(node[3], values)
        if isinstance(left, list) or isinstance(right, list):
            raise _Unknown
        if op == "=":
            return _same(left, right)
        if op == "!=":
            return not _same(left, right)
        if op in ("<", "<=", ">", ">="):
            try:
                a, b = float(left), float(right)
            except (TypeError, ValueError):
                raise _Unknown from None
            return {"<": a < b, "<=": a <= b, ">": a > b, ">=": a >= b}[op]
        raise _Unknown
    if kind == "call":
        name, args = node[1], node[2]
        if name == "not" and len(args) == 1:
            return not bool(_evaluate(args[0], values))
        if name in ("true", "false") and not args:
            return name == "true"
        if name == "selected" and len(args) == 2:
            chosen, wanted = _evaluate(args[0], values), _evaluate(args[1], values)
            chosen = chosen if isinstance(chosen, list) else str(chosen).split()
            return str(wanted) in chosen
        if name == "count-selected" and len(args) == 1:
            chosen = _evaluate(args[0], values)
            return float(len(chosen if isinstance(chosen, list) else str(chosen).split()))
    raise _Unknown


def _raise():
    raise _Unknown


def _same(left, right) -> bool:
    if isinstance(left, float) or isinstance(right, float):
        try:
            return float(left) == float(right)
        except (TypeError, ValueError):
            return False
    return str(left) == str(right)


class Words:
    """Expressions in words, naming questions by their printed number and choices by their label."""

    def __init__(self, schema: FormSchema, lang: str, numbers: dict[str, int]):
        self.schema, self.lang, self.numbers = schema, lang, numbers

    # ---- entry points ----

    def only_if(self, source: str | None, section: bool = False) -> str:
        """ "Chỉ hỏi nếu ..." for a relevant ("" when there is none)."""
        if not source:
            return ""
        condition = self.condition(source)
        if section:
            return _("Ask this part only if %(condition)s.", condition=condition)
        return _("Ask only if %(condition)s.", condition=condition)

    def condition(self, source: str) -> str:
        try:
            return self.describe(parse(source))
        except ExpressionError:
            return _("a condition set in the electronic form")

    def value(self, source: str) -> str:
        try:
            return self.operand(parse(source), None)
        except ExpressionError:
            return _("a number set in the electronic form")

    def label(self, text: str) -> str:
        """A label with its ${name} references named as printed questions."""
        return _LABEL_REF.sub(lambda m: f"({self.question(m.group(1))})", text or "")

    # ---- questions and values ----

    def question(self, name: str) -> str:
        if name in self.numbers:
            return _("question %(number)s", number=self.numbers[name])
        item = self.schema.by_name.get(name)
        label = self.schema.text(item.label, self.lang) if item is not None else ""
        return _("the computed value «%(name)s»", name=label or name)

    def choice_label(self, ref: str | None, value: str) -> str:
        item = self.schema.by_name.get(ref) if ref else None
        if item is not None and item.list_name:
            choice = self.schema.choice(item.list_name, value)
            if choice is not None:
                return f"«{self.schema.text(choice.label, self.lang) or value}»"
        return f"«{value}»"

    def operand(self, node, other_ref: str | None) -> str:
        """A value in words; text compared with a select question is named by its choice label."""
        kind = node[0]
        if kind == "ref":
            return self.question(node[1])
        if kind == "last":
            return _("the last record's answer to %(question)s", question=self.question(node[1]))
        if kind == "dot":
            return _("this answer")
        if kind == "num":
            return _number_text(node[1])
        if kind == "str":
            return self.choice_label(other_ref, node[1])
        if kind == "neg":
            return f"−{self.operand(node[1], None)}"
        if kind == "bin" and node[1] in _ARITHMETIC:
            return f"{self.operand(node[2], None)} {_ARITHMETIC[node[1]]()} {self.operand(node[3], None)}"
        if kind == "call":
            return self.call(node)
        if kind == "path":
            start = node[1]
            if start[0] == "ref":
                return _("the answers to %(question)s", question=self.question(start[1]))
            return _("other answers of the form")
        return self.describe(node)

    def call(self, node) -> str:
        name, args = node[1], node[2]
        if name == "count-selected" and len(args) == 1:
            return _("the number of choices ticked at %(question)s", question=self.operand(args[0], None))
        if name == "today" and not args:
            return _("the date of the interview")
        if name in ("string-length", "count") and len(args) == 1:
            return (
                _("the length of %(value)s", value=self.operand(args[0], None))
                if name == "string-length"
                else _("the number of entries of %(value)s", value=self.operand(args[0], None))
            )
        words = ", ".join(self.operand(arg, None) for arg in args)
        return _("%(function)s of %(values)s", function=name, values=words) if args else name

    # ---- conditions ----

    def describe(self, node) -> str:
        kind = node[0]
        if kind == "bin" and node[1] in ("and", "or"):
            return self.junction(node)
        if kind == "bin" and node[1] in _COMPARE:
            return self.comparison(node)
        if kind == "call":
            name, args = node[1], node[2]
            if name == "selected" and len(args) == 2:
                return _(
                    "%(question)s has «%(choice)s» ticked",
                    question=self.operand(args[0], None),
                    choice=self.operand(args[1], _ref(args[0])).strip("«»"),
                )
            if name == "not" and len(args) == 1:
                return self.negation(args[0])
            if name in ("true", "false") and not args:
                return _("always") if name == "true" else _("never")
            return _("%(value)s is true", value=self.call(node))
        if kind == "ref":
            return _("%(question)s is answered", question=self.question(node[1]))
        return _("%(value)s is true", value=self.operand(node, None))

    def junction(self, node) -> str:
        op = node[1]
        parts = list(_flatten(node, op))
        if op == "or":
            merged = self._same_question_choices(parts)
            if merged:
                return merged
        joiner = _(" and ") if op == "and" else _(" or ")
        texts = []
        for part in parts:
            text = self.describe(part)
            if part[0] == "bin" and part[1] in ("and", "or") and part[1] != op:
                text = f"({text})"
            texts.append(text)
        return joiner.join(texts)

    def _same_question_choices(self, parts) -> str:
        """ "câu 42 là «Mức 1» hoặc «Mức 2»" for ${v} = 'a' or ${v} = 'b'."""
        refs, values = set(), []
        for part in parts:
            if not (part[0] == "bin" and part[1] == "=" and {part[2][0], part[3][0]} == {"ref", "str"}):
                return ""
            ref, text = (part[2], part[3]) if part[2][0] == "ref" else (part[3], part[2])
            refs.add(ref[1])
            values.append(self.choice_label(ref[1], text[1]))
        if len(refs) != 1:
            return ""
        return _("%(question)s is %(choice)s", question=self.question(refs.pop()), choice=_(" or ").join(values))

    def comparison(self, node) -> str:
        op, left, right = node[1], node[2], node[3]
        if left[0] in ("num", "str") and right[0] not in ("num", "str"):  # 'yes' = ${x}: the question first
            left, right, op = right, left, _MIRROR[op]
        if left[0] == "call" and left[1] == "count-selected" and right[0] == "num" and len(left[2]) == 1:
            question, number = self.operand(left[2][0], None), right[1]
            if (op == ">" and number == 0) or (op == ">=" and number == 1) or (op == "!=" and number == 0):
                return _("%(question)s has at least one choice ticked", question=question)
            if (op == "=" and number == 0) or (op == "<" and number == 1):
                return _("%(question)s has no choice ticked", question=question)
        if right[0] == "str" and right[1] == "" and op in ("=", "!="):
            text = self.operand(left, None)
            return _("%(question)s is answered", question=text) if op == "!=" else _("%(question)s is left empty", question=text)
        subject, value = self.operand(left, None), self.operand(right, _ref(left))
        return _COMPARE[op]() % {"question": subject, "value": value}

    def negation(self, inner) -> str:
        if inner[0] == "call" and inner[1] == "selected" and len(inner[2]) == 2:
            args = inner[2]
            return _(
                "%(question)s does not have «%(choice)s» ticked",
                question=self.operand(args[0], None),
                choice=self.operand(args[1], _ref(args[0])).strip("«»"),
            )
        if inner[0] == "bin" and inner[1] in _OPPOSITE:
            return self.comparison(("bin", _OPPOSITE[inner[1]], inner[2], inner[3]))
        return _("it is not the case that %(condition)s", condition=self.describe(inner))


def _ref(node) -> str | None:
    return node[1] if node[0] == "ref" else None


def _flatten(node, op):
    if node[0] == "bin" and node[1] == op:
        yield from _flatten(node[2], op)
        yield from _flatten(node[3], op)
    else:
        yield node


#: Comparisons in words (functions: the message is looked up in the request's language).
_COMPARE = {
    "=": lambda: _("%(question)s is %(value)s"),
    "!=": lambda: _("%(question)s is not %(value)s"),
    "<": lambda: _("%(question)s is less than %(value)s"),
    "<=": lambda: _("%(question)s is at most %(value)s"),
    ">": lambda: _("%(question)s is more than %(value)s"),
    ">=": lambda: _("%(question)s is at least %(value)s"),
}
_MIRROR = {"=": "=", "!=": "!=", "<": ">", "<=": ">=", ">": "<", ">=": "<="}
_OPPOSITE = {"=": "!=", "!=": "=", "<": ">=", "<=": ">", ">": "<=", ">=": "<"}
_ARITHMETIC = {
    "+": lambda: _("plus"),
    "-": lambda: _("minus"),
    "*": lambda: _("times"),
    "div": lambda: _("divided by"),
    "mod": lambda: _("modulo"),
}
