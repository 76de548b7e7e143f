"""Skill level, essential skills and training gaps of one person, from rules kept as data.

The rules live beside the form in ``forms/<form_id>.scoring.json``; this module only interprets
them (no rule is written in Python). It is pure: no Flask, no database, so the dashboard and the
benchmarks can import it. Public API:

* ``load_rules(form_id, form_version=None) -> Rules``: the rule set that applies to a form version;
* ``score_person(member_answers, household_answers, rules) -> PersonScore``.

Conditions are JSON values: ``true``/``false``; ``{"all": [...]}``, ``{"any": [...]}``,
``{"not": c}``; ``{"eq": [name, value]}``, ``{"ne": [name, value]}``, ``{"in": [name, [values]]}``
for select_one and yes/no answers; ``{"has": [name, value]}``, ``{"has_any": [name, [values]]}``
for select_multiple; ``{"answered": name}``; ``{"gte"|"gt"|"lte"|"lt": [name, number]}``;
``{"area_none": area}``, ``{"area_at_least": [area, grade]}``, ``{"areas_at_least": [grade, n]}``
(an area not assessed counts as "none"); ``{"level_in": [levels]}``; ``{"flag": name}`` (a flag
defined in the rules, or "assessed"). A name is looked up in the member's answers, then in the
household's; a question that was not asked is absent, so ``eq`` is false and ``ne`` true.
Order of evaluation: assessed, areas, level (its rules may use the flag "assessed" only), flags
(each may use the level and the flags above it), then essential skills, gaps, routes, pool.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache
from itertools import compress
from pathlib import Path
from typing import Callable

from survey_app.formdefs.ids import HOUSEHOLD_FORM

#: Where the forms and their scoring rules are kept (the project's forms/ folder).
FORMS_DIR = Path(__file__).resolve().parents[2] / "forms"
#: Grades of an area, weakest first (ITU: 0 activities none, 1 basic, 2 or more above basic).
GRADES = ("none", "basic", "above_basic")
LEVELS = ("L0", "L1", "L2", "L3", "L4", "L5")


class RuleError(ValueError):
    """The rule file is not valid; the message names the place."""


@dataclass(frozen=True, slots=True)
class GapClause:
    """One reason for a gap; a person has the module's gap when any clause holds."""

    id: str
    label: dict
    test: Callable
    #: The questions the clause reads, when it reads answers only (not the level, the flags or how many
    #: areas reach a grade); None otherwise. A short check judges the clauses that read its items.
    reads: frozenset[str] | None = frozenset()


@dataclass(frozen=True, slots=True)
class Module:
    code: str
    title: dict
    #: Modules to take before this one, in the rules' order.
    requires: tuple[str, ...]
    gap: tuple[GapClause, ...]
    teach_test: Callable
    #: Position in the prerequisite order, from 1; classes of module n are held in week n.
    order: int
    #: Items asked again in the module's short check at its last session (may be empty: no check).
    check: tuple[str, ...] = ()


@dataclass(frozen=True)
class Rules:
    form_id: str
    form_versions: tuple[str, ...]
    version: str
    areas: dict[str, tuple[str, ...]]
    modules: tuple[Module, ...]
    #: Level bands a class may mix, e.g. (("L0", "L1"), ...).
    class_bands: tuple[tuple[str, ...], ...]
    level_labels: dict
    source: dict

    def applies_to(self, form_version: str) -> bool:
        return form_version in self.form_versions

    def module(self, code: str) -> Module:
        return self._by_code[code]

    @property
    def module_codes(self) -> tuple[str, ...]:
        return self._codes

    def band_of(self, level: str) -> str:
        """The class band of a level, named like "L0-L1"."""
        return self._band_names[level]

    def __post_init__(self):
        object.__setattr__(self, "_by_code", {m.code: m for m in self.modules})
        object.__setattr__(self, "_codes", tuple(m.code for m in self.modules))
        object.__setattr__(self, "_band_names", {level: f"{band[0]}-{band[-1]}" for band in self.class_bands for level in band})


@dataclass(frozen=True, slots=True)
class PersonScore:
    """What the rules say about one person.

    ``level`` L0-L5; ``assessed`` False when block S was not asked (L0); ``areas`` area -> grade
    (empty when not assessed); ``essential_five`` the five essential skills; ``disability`` the
    Washington Group flag; ``flags`` every flag of the rules; ``gaps`` modules with a gap, in
    prerequisite order; ``gap_reasons`` module -> ids of the clauses that hold; ``interests``
    modules chosen in l1; ``priority`` module -> gap x interest x vulnerability (gap modules
    only); ``route`` "home", "online" or None; ``route_home``; ``trainer_pool`` willing to help;
    ``teachable`` modules this person could teach if in the trainer pool.
    """

    level: str
    assessed: bool
    areas: dict
    essential_five: bool
    disability: bool
    flags: dict
    gaps: tuple[str, ...]
    gap_reasons: dict
    interests: tuple[str, ...]
    priority: dict
    vulnerability: float
    route: str | None
    trainer_pool: bool
    teachable: tuple[str, ...]

    @property
    def route_home(self) -> bool:
        return self.route == "home"


#: What a compiled condition reads: v the answers (member over household), g area -> grade
#: index, n how many areas reach each grade, lv the level, f the flags.
_SIGNATURE = "v, g, n, lv, f"
_NAMESPACE = {"__builtins__": {}, "isinstance": isinstance, "any": any, "list": list, "int": int, "float": float, "bool": bool}


def _pair(args, where: str):
    if not (isinstance(args, list) and len(args) == 2 and isinstance(args[0], str)):
        raise RuleError(f"{where}: expected [name, value]")
    return args


def _list(value, where: str) -> list:
    if not isinstance(value, list):
        raise RuleError(f"{where}: expected a list")
    return value


def _literal(value, where: str) -> str:
    """A JSON scalar as Python source; anything else is refused."""
    if value is None or isinstance(value, (str, bool, int, float)):
        return repr(value)
    raise RuleError(f"{where}: a value must be text, a number, true, false or null")


def _literals(values, where: str) -> str:
    return "(" + "".join(f"{_literal(x, where)}, " for x in _list(values, where)) + ")"


def _number(value, where: str) -> str:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise RuleError(f"{where}: expected a number")
    return repr(value)


def _answer(name: str) -> str:
    return f"v.get({name!r})"


def _grade(name: str, where: str) -> int:
    if name not in GRADES:
        raise RuleError(f"{where}: unknown grade {name!r}")
    return GRADES.index(name)


def _area(area, where: str, known: dict) -> str:
    if area not in known.get("areas", ()):
        raise RuleError(f"{where}: unknown area {area!r}")
    return repr(area)


def _x_all(args, where, known):
    parts = [_source(a, f"{where}.all[{i}]", known) for i, a in enumerate(_list(args, where))]
    return f"({' and '.join(parts)})" if parts else "True"


def _x_any(args, where, known):
    parts = [_source(a, f"{where}.any[{i}]", known) for i, a in enumerate(_list(args, where))]
    return f"({' or '.join(parts)})" if parts else "False"


def _x_not(args, where, known):
    return f"(not {_source(args, f'{where}.not', known)})"


def _x_eq(args, where, _known):
    name, value = _pair(args, where)
    return f"({_answer(name)} == {_literal(value, where)})"


def _x_ne(args, where, _known):
    name, value = _pair(args, where)
    return f"({_answer(name)} != {_literal(value, where)})"


def _x_in(args, where, _known):
    name, values = _pair(args, where)
    return f"({_answer(name)} in {_literals(values, where)})"


def _x_has(args, where, _known):
    name, value = _pair(args, where)
    return f"(isinstance(_x := {_answer(name)}, list) and {_literal(value, where)} in _x)"


def _x_has_any(args, where, _known):
    name, values = _pair(args, where)
    wanted = _literals(values, where)
    return f"(isinstance(_x := {_answer(name)}, list) and any(w in _x for w in {wanted}))"


def _x_answered(args, where, _known):
    if not isinstance(args, str):
        raise RuleError(f"{where}: expected a question name")
    return f"({_answer(args)} not in (None, '', []))"


def _x_compare(operator: str):
    def build(args, where, _known):
        name, bound = _pair(args, where)
        return (
            f"(isinstance(_x := {_answer(name)}, (int, float)) and not isinstance(_x, bool)"
            f" and _x {operator} {_number(bound, where)})"
        )

    return build


def _x_area_none(args, where, known):
    return f"(g.get({_area(args, where, known)}, 0) == 0)"


def _x_area_at_least(args, where, known):
    area, grade = _pair(args, where)
    return f"(g.get({_area(area, where, known)}, 0) >= {_grade(grade, where)})"


def _x_areas_at_least(args, where, _known):
    grade, count = _pair(args, where)
    return f"(n[{_grade(grade, where)}] >= {_number(count, where)})"


def _x_level_in(args, where, _known):
    levels = _list(args, where)
    if not set(levels) <= set(LEVELS):
        raise RuleError(f"{where}: unknown level in {levels}")
    return f"(lv in {_literals(levels, where)})"


def _x_flag(args, where, known):
    if args != "assessed" and args not in known.get("flags", ()):
        raise RuleError(f"{where}: unknown flag {args!r}")
    return f"f.get({args!r}, False)"


_OPERATORS = {
    "all": _x_all,
    "any": _x_any,
    "not": _x_not,
    "eq": _x_eq,
    "ne": _x_ne,
    "in": _x_in,
    "has": _x_has,
    "has_any": _x_has_any,
    "answered": _x_answered,
    "gte": _x_compare(">="),
    "gt": _x_compare(">"),
    "lte": _x_compare("<="),
    "lt": _x_compare("<"),
    "area_none": _x_area_none,
    "area_at_least": _x_area_at_least,
    "areas_at_least": _x_areas_at_least,
    "level_in": _x_level_in,
    "flag": _x_flag,
}


def _source(node, where: str, known: dict) -> str:
    if isinstance(node, bool):
        return repr(node)
    if not (isinstance(node, dict) and len(node) == 1):
        raise RuleError(f"{where}: a condition is true, false or an object with one operator")
    ((op, args),) = node.items()
    if op not in _OPERATORS:
        raise RuleError(f"{where}: unknown operator {op!r}")
    return _OPERATORS[op](args, where, known)


def compile_condition(node, where: str = "condition", known: dict | None = None) -> Callable:
    """Turn a JSON condition into a test ``(v, g, n, lv, f) -> bool``; RuleError names what is wrong.

    The vocabulary is translated to one Python expression built only from literals and the five
    parameters (values are checked to be JSON scalars), which is several times faster than
    walking the JSON for each of the ward's tens of thousands of people.
    """
    source = _source(node, where, known or {})
    return eval(f"lambda {_SIGNATURE}: {source}", dict(_NAMESPACE))  # noqa: S307 (generated from checked literals)


def _compile_tuple(sources: list[str]) -> Callable:
    """Several checked expressions in one test returning a tuple of their values (one call per person)."""
    return eval(f"lambda {_SIGNATURE}: ({''.join(f'{x}, ' for x in sources)})", dict(_NAMESPACE))  # noqa: S307


@dataclass(frozen=True)
class _Compiled:
    """The rules turned into tests, once per rule file."""

    assessed: Callable
    area_items: tuple
    grade_floors: tuple
    levels: tuple
    flags: tuple
    essential_five: Callable
    interests_field: str
    asked_weight: float
    not_asked_weight: float
    vulnerability: tuple
    routes: tuple
    trainer_pool: Callable
    teach_when: Callable
    #: Every gap clause of every module, in order, as one test; with each module's (code, clause ids).
    gap_tuple: Callable
    gap_ids: tuple
    #: Activities done per area, as one test; and the grade reached by each count.
    area_counts: Callable
    grade_of_count: tuple


def _compile(source: dict) -> tuple[Rules, _Compiled]:
    try:
        areas = {name: tuple(items) for name, items in source["areas"].items()}
        flags_src = source.get("flags", {})
        known = {"areas": set(areas), "flags": set(flags_src)}
        modules, seen = [], set()
        for order, spec in enumerate(source["modules"], start=1):
            code = spec["code"]
            if code in seen:
                raise RuleError(f"modules: {code} appears twice")
            missing = [r for r in spec.get("requires", []) if r not in seen]
            if missing:
                raise RuleError(f"modules.{code}.requires: {missing} must come earlier in the list")
            clauses = tuple(
                GapClause(
                    c["id"],
                    c.get("label", {}),
                    compile_condition(c["when"], f"modules.{code}.gap.{c['id']}", known),
                    _names_read(c["when"], areas),
                )
                for c in spec["gap"]
            )
            check = spec.get("check", [])
            if not (isinstance(check, list) and all(isinstance(name, str) and name for name in check)):
                raise RuleError(f"modules.{code}.check: expected a list of question names")
            modules.append(
                Module(
                    code,
                    spec.get("title", {}),
                    tuple(spec.get("requires", [])),
                    clauses,
                    compile_condition(spec.get("teach_when", True), f"modules.{code}.teach_when", known),
                    order,
                    tuple(check),
                )
            )
            seen.add(code)
        grade_floors = tuple(
            sorted(((_grade(g["grade"], "area_grades"), g["min_items"]) for g in source["area_grades"]), reverse=True)
        )
        priority = source.get("priority", {})
        compiled = _Compiled(
            assessed=compile_condition(source.get("assessed", True), "assessed", known),
            area_items=tuple(areas.items()),
            grade_floors=grade_floors,
            levels=tuple((lv["level"], compile_condition(lv["when"], f"levels.{lv['level']}", known)) for lv in source["levels"]),
            flags=tuple((name, compile_condition(cond, f"flags.{name}", known)) for name, cond in flags_src.items()),
            essential_five=compile_condition(source.get("essential_five", False), "essential_five", known),
            interests_field=source.get("interests", "l1_topics"),
            asked_weight=float(priority.get("asked", 1)),
            not_asked_weight=float(priority.get("not_asked", 1)),
            vulnerability=tuple(
                (compile_condition({"flag": w["flag"]}, "priority.vulnerability", known), float(w["add"]))
                for w in priority.get("vulnerability", [])
            ),
            routes=tuple(
                (r["route"], compile_condition(r["when"], f"routes.{r['route']}", known)) for r in source.get("routes", [])
            ),
            trainer_pool=compile_condition(source.get("trainer_pool", False), "trainer_pool", known),
            teach_when=compile_condition(source.get("teach_when", True), "teach_when", known),
            gap_tuple=_compile_tuple(
                [_source(c["when"], f"modules.{m['code']}.gap.{c['id']}", known) for m in source["modules"] for c in m["gap"]]
            ),
            gap_ids=tuple((m.code, tuple(c.id for c in m.gap)) for m in modules),
            area_counts=_compile_tuple(
                [" + ".join(f"({_answer(i)} == 'yes')" for i in items) or "0" for items in areas.values()]
            ),
            grade_of_count=tuple(
                next((g for g, floor in grade_floors if count >= floor), 0)
                for count in range(max(map(len, areas.values()), default=0) + 1)
            ),
        )
        rules = Rules(
            form_id=source["form_id"],
            form_versions=tuple(source["form_versions"]),
            version=source["rules_version"],
            areas=areas,
            modules=tuple(modules),
            class_bands=tuple(tuple(b) for b in source.get("class_bands", [LEVELS])),
            level_labels=source.get("level_labels", {}),
            source=source,
        )
    except KeyError as exc:
        raise RuleError(f"missing key {exc.args[0]!r}") from None
    banded = [level for band in rules.class_bands for level in band]
    if sorted(banded) != sorted(LEVELS):
        raise RuleError("class_bands: every level L0-L5 must be in exactly one band")
    return rules, compiled


#: Operators that read more than the answers: a short check cannot ask them again.
_NOT_ASKED_AGAIN = frozenset({"level_in", "flag", "areas_at_least"})


def _names_read(node, areas: dict) -> frozenset[str] | None:
    """The questions a condition reads (an area's: its items); None when it reads more than answers."""
    if isinstance(node, bool):
        return frozenset()
    ((op, args),) = node.items()
    if op in _NOT_ASKED_AGAIN:
        return None
    if op in ("all", "any", "not"):
        parts = [_names_read(a, areas) for a in (args if op != "not" else [args])]
        return None if any(p is None for p in parts) else frozenset().union(*parts)
    if op in ("area_none", "area_at_least"):
        area = args if op == "area_none" else args[0]
        return frozenset(areas[area])
    return frozenset([args if op == "answered" else args[0]])


def passes_check(rules: Rules, code: str, answers: dict, known: dict | None = None) -> bool:
    """Whether a learner passes module `code`'s short check: none of the module's gap clauses that read
    answers only, and read one of the check's items, holds on what they answered before (`known`: their
    survey answers, member over household) with the check's answers on top. A clause about something a
    class does not change (owning a smartphone, having been scammed) is not judged. The areas are
    graded from those answers (the check asks the skills, so the person counts as assessed)."""
    k = rules._compiled
    v = {**(known or {}), **answers}
    g, n = {}, [0] * len(GRADES)
    for (area, _items), done in zip(k.area_items, k.area_counts(v, g, n, "L0", {})):
        g[area] = k.grade_of_count[done]
        for reached in range(g[area] + 1):
            n[reached] += 1
    module = rules.module(code)
    asked = set(module.check)
    clauses = [c for c in module.gap if c.reads is not None and c.reads & asked]
    return not any(c.test(v, g, n, "L0", {}) for c in clauses)


def rules_from_dict(source: dict) -> Rules:
    """Validate and compile a rule set given as a dict (tests, other forms)."""
    rules, compiled = _compile(source)
    object.__setattr__(rules, "_compiled", compiled)
    return rules


@lru_cache(maxsize=16)
def _load_file(path: str, mtime: float) -> Rules:
    with open(path, encoding="utf-8") as handle:
        return rules_from_dict(json.load(handle))


def rule_files(form_id: str, folder: Path = FORMS_DIR) -> list[Path]:
    return sorted(folder.glob(f"{form_id}*.scoring.json"))


def load_rules(form_id: str = HOUSEHOLD_FORM, form_version: str | None = None, folder: Path = FORMS_DIR) -> Rules:
    """The rule set for a form (and version, if given); the newest file listing it wins."""
    found = None
    for path in rule_files(form_id, folder):
        rules = _load_file(str(path), path.stat().st_mtime)
        if rules.form_id == form_id and (form_version is None or rules.applies_to(form_version)):
            found = rules
    if found is None:
        raise RuleError(f"no scoring rules for {form_id} {form_version or ''}".strip())
    return found


def score_person(member: dict, household: dict, rules: Rules) -> PersonScore:
    """Score one member of a household by the rules."""
    k = rules._compiled
    v = {**household, **member}
    g, n, flags = {}, [0] * len(GRADES), {}
    assessed = bool(k.assessed(v, g, n, "L0", flags))
    flags["assessed"] = assessed
    areas = {}
    if assessed:
        for (area, _items), done in zip(k.area_items, k.area_counts(v, g, n, "L0", flags)):
            grade = k.grade_of_count[done]
            g[area] = grade
            areas[area] = GRADES[grade]
            for reached in range(grade + 1):
                n[reached] += 1
    level = "L0"
    for name, test in k.levels:
        if test(v, g, n, "L0", flags):
            level = name
            break
    for name, test in k.flags:
        flags[name] = bool(test(v, g, n, level, flags))
    chosen = v.get(k.interests_field)
    chosen = chosen if isinstance(chosen, list) else ()
    vulnerability = 1.0
    for test, add in k.vulnerability:
        if test(v, g, n, level, flags):
            vulnerability += add
    in_pool = bool(k.trainer_pool(v, g, n, level, flags))
    gaps, reasons, interests, priority, teachable = [], {}, [], {}, []
    holds, start = k.gap_tuple(v, g, n, level, flags), 0
    for module, (code, ids) in zip(rules.modules, k.gap_ids):
        fired = tuple(compress(ids, holds[start : start + len(ids)]))
        start += len(ids)
        asked = code in chosen
        if asked:
            interests.append(code)
        if fired:
            gaps.append(code)
            reasons[code] = fired
            priority[code] = (k.asked_weight if asked else k.not_asked_weight) * vulnerability
        elif in_pool and module.teach_test(v, g, n, level, flags):
            teachable.append(code)
    route = None
    for name, test in k.routes:
        if test(v, g, n, level, flags):
            route = name
            break
    return PersonScore(
        level=level,
        assessed=assessed,
        areas=areas,
        essential_five=bool(k.essential_five(v, g, n, level, flags)),
        disability=flags.get("disability", False),
        flags=flags,
        gaps=tuple(gaps),
        gap_reasons=reasons,
        interests=tuple(interests),
        priority=priority,
        vulnerability=vulnerability,
        route=route,
        trainer_pool=in_pool,
        teachable=tuple(teachable) if in_pool and k.teach_when(v, g, n, level, flags) else (),
    )
