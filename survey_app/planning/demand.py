"""Training demand: who needs which module, counted by group, time, place, format, level and age.

Pure functions over scored people. A person *needs* a module when they have its gap; the tables
count those who asked for it (l1_topics) apart from those who did not. A person *wants* training
for the modules they asked for and have the gap in, plus the prerequisites of those they have the
gap in too (VNeID level 2 before online public services): these are the learner modules.
"""

from __future__ import annotations

from survey_app.planning.scoring import PersonScore, Rules

#: The breakdowns of the demand tables, with the answer each reads.
DIMENSIONS = ("group", "time", "place", "format", "level", "age_group")
NOT_STATED = "not_stated"
AGE_BANDS = ((15, 24, "15_24"), (25, 39, "25_39"), (40, 59, "40_59"), (60, 74, "60_74"), (75, 200, "75_plus"))


def learner_modules(score: PersonScore, rules: Rules) -> dict[str, bool]:
    """Modules this person should be taught, in rules order -> True if only as a prerequisite."""
    wanted = [m for m in score.gaps if m in score.interests]
    if not wanted:
        return {}
    chosen = set(wanted)
    stack = list(wanted)
    while stack:
        for required in rules.module(stack.pop()).requires:
            if required in score.gap_reasons and required not in chosen:
                chosen.add(required)
                stack.append(required)
    return {m: m not in score.interests for m in score.gaps if m in chosen}


def age_group(member: dict) -> str:
    """The age_group calculate, or one derived from age when it is missing."""
    if member.get("age_group"):
        return member["age_group"]
    age = member.get("age")
    if isinstance(age, int):
        return next((name for low, high, name in AGE_BANDS if low <= age <= high), NOT_STATED)
    return NOT_STATED


def _values(member: dict, score: PersonScore, group_id: int) -> tuple:
    """The person's value(s) for each dimension, in DIMENSIONS order."""
    times = member.get("l2_time")
    return (
        (str(group_id),),
        tuple(times) if isinstance(times, list) and times else (NOT_STATED,),
        (member.get("l3_place") or NOT_STATED,),
        (member.get("l4_format") or NOT_STATED,),
        (score.level,),
        (age_group(member),),
    )


class DemandTable:
    """Accumulates the counts; ``as_json()`` gives what the plan stores.

    People are counted by (dimension value, gap pattern) and expanded to modules at the end,
    which keeps adding a person cheap on a ward of tens of thousands.
    """

    def __init__(self, rules: Rules):
        self.modules = rules.module_codes
        self.totals = {m: {"asked": 0, "not_asked": 0, "asked_no_gap": 0, "learners": 0, "prerequisite": 0} for m in self.modules}
        self.cells = [{} for _ in DIMENSIONS]  # per dimension: (value, pattern) -> people
        self.levels = {}
        self.people = 0
        self.with_gap = 0
        self.essential_five = 0

    def add(self, member: dict, score: PersonScore, group_id: int, learning: dict[str, bool]) -> None:
        self.people += 1
        self.levels[score.level] = self.levels.get(score.level, 0) + 1
        self.essential_five += score.essential_five
        totals = self.totals
        for module in score.interests:
            if module not in score.gap_reasons:
                totals[module]["asked_no_gap"] += 1
        for module, as_prerequisite in learning.items():
            totals[module]["learners"] += 1
            totals[module]["prerequisite"] += as_prerequisite
        if not score.gaps:
            return
        self.with_gap += 1
        pattern = tuple((m, m in score.interests) for m in score.gaps)
        for module, asked in pattern:
            totals[module]["asked" if asked else "not_asked"] += 1
        for cells, values in zip(self.cells, _values(member, score, group_id)):
            for value in values:
                key = (value, pattern)
                cells[key] = cells.get(key, 0) + 1

    def breakdown(self) -> dict:
        """dimension -> value -> module -> [asked, not asked]."""
        by = {}
        for dimension, cells in zip(DIMENSIONS, self.cells):
            table = by[dimension] = {}
            for (value, pattern), people in sorted(cells.items(), key=lambda item: item[0][0]):
                row = table.setdefault(value, {})
                for module, asked in pattern:
                    cell = row.setdefault(module, [0, 0])
                    cell[0 if asked else 1] += people
        return by

    def as_json(self) -> dict:
        return {
            "modules": list(self.modules),
            "people": self.people,
            "with_gap": self.with_gap,
            "essential_five": self.essential_five,
            "levels": self.levels,
            "totals": self.totals,
            "by": self.breakdown(),
        }
