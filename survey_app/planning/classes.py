"""The class builder: learners into classes at community houses, with trainers. Pure and deterministic.

For each module, in prerequisite order, and each level band:

1. classes at a learner's own community house, for the time slot with the most learners there;
2. with the learners still waiting, classes at a neighbouring group's house, to reach the minimum;
3. learners still waiting join a class with room in their time slot and neighbourhood;
4. every class gets a trainer (community digital team or trainer pool) with capacity left and no
   other class at that week and time; a class without one is dissolved and its learners try the
   remaining classes again.

Whoever is left is unplaced, with a reason. Classes of module n are held in week n (the rules'
order), so prerequisites always come first. Locked classes are kept as they are and planned around.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

#: Time slots, in the order used to break ties (choice names of l2_time).
TIME_SLOTS = ("weekday_morning", "weekday_afternoon", "weekday_evening", "weekend")

#: Why a learner is not in a class (codes; the pages translate them).
TOO_FEW = "too_few_nearby"
NO_TRAINER = "no_trainer"
PREREQUISITE = "prerequisite_not_placed"
HOME_VISIT = "home_visit"
ONLINE = "online"


@dataclass(frozen=True, slots=True)
class Learner:
    """A person who needs a module; ``key`` is (submission_id, line_no)."""

    key: tuple
    module: str
    level: str
    band: str
    group_id: int
    slots: tuple[str, ...] = ()
    priority: float = 1.0


@dataclass(frozen=True, slots=True)
class Group:
    id: int
    code: str
    lat: float | None = None
    lon: float | None = None


@dataclass(frozen=True, slots=True)
class Trainer:
    """A community digital team member ("u:<user id>") or a resident of the pool ("p:<sid>:<line>")."""

    key: str
    capacity: int
    #: Modules they may teach; None means all.
    modules: frozenset | None = None
    #: Time slots they are free; empty means any.
    slots: tuple[str, ...] = ()
    #: Groups they live in or cover (for choosing someone close to the venue).
    group_ids: tuple[int, ...] = ()


@dataclass(frozen=True, slots=True)
class Config:
    min_size: int = 8
    max_size: int = 30
    #: How many nearest groups count as neighbours of a group.
    neighbours: int = 4


@dataclass
class PlannedClass:
    module: str
    band: str
    slot: str
    venue_group_id: int
    session: int
    learners: list[Learner] = field(default_factory=list)
    trainer_key: str | None = None
    #: "own_group", "neighbours" or "locked".
    formed: str = "own_group"
    locked: bool = False
    #: The stored class this one stands for (locked classes only).
    existing_id: int | None = None


@dataclass(frozen=True, slots=True)
class Unplaced:
    learner: Learner
    reason: str


@dataclass
class ClassPlan:
    classes: list[PlannedClass]
    unplaced: list[Unplaced]
    #: Classes per trainer key.
    loads: dict[str, int]


def neighbourhoods(groups: list[Group], count: int) -> dict[int, tuple[int, ...]]:
    """Each group's neighbours, nearest first: by centroid, or by adjacent code when centroids are missing."""
    ordered = sorted(groups, key=lambda g: (g.code, g.id))
    located = [g for g in ordered if g.lat is not None and g.lon is not None]
    result = {}
    for index, group in enumerate(ordered):
        if group.lat is not None and group.lon is not None:
            scale = math.cos(math.radians(group.lat))
            others = sorted(
                (
                    ((o.lat - group.lat) ** 2 + ((o.lon - group.lon) * scale) ** 2, o.code, o.id)
                    for o in located
                    if o.id != group.id
                )
            )
            result[group.id] = tuple(o[2] for o in others[:count])
        else:
            around = sorted((abs(j - index), j) for j in range(len(ordered)) if j != index)
            result[group.id] = tuple(ordered[j].id for _, j in around[:count])
    return result


class _Builder:
    """State of one build; see the module docstring for the steps."""

    def __init__(self, groups, trainers, config, module_order, prerequisites):
        self.config = config
        self.codes = {g.id: g.code for g in groups}
        self.near = neighbourhoods(groups, config.neighbours)
        self.trainers = sorted(trainers, key=lambda t: t.key)
        self.by_group: dict[int, list[Trainer]] = {}
        for trainer in self.trainers:
            for group_id in trainer.group_ids:
                self.by_group.setdefault(group_id, []).append(trainer)
        self.module_order = tuple(module_order)
        self.session = {m: i for i, m in enumerate(self.module_order, start=1)}
        self.prerequisites = prerequisites
        self.loads = {t.key: 0 for t in self.trainers}
        self.busy: set = set()  # (trainer key, session, slot)
        self.placed: dict = {}  # (learner key, module) -> class
        self.classes: list[PlannedClass] = []
        self.unplaced: list[Unplaced] = []
        self.needed: set = set()  # (learner key, module) of every learner given

    def rank(self, home: int, venue: int) -> int | None:
        """0 for the own group, 1.. for neighbours nearest first, None when too far."""
        if home == venue:
            return 0
        near = self.near.get(home, ())
        return near.index(venue) + 1 if venue in near else None

    def venues(self, learner: Learner, with_neighbours: bool) -> tuple[int, ...]:
        return (learner.group_id,) + (self.near.get(learner.group_id, ()) if with_neighbours else ())

    # -- locked classes ------------------------------------------------------------------------
    def keep_locked(self, locked: list[PlannedClass]) -> None:
        for planned in sorted(locked, key=self._class_order):
            planned.locked, planned.formed = True, "locked"
            self.classes.append(planned)
            for learner in planned.learners:
                self.placed[(learner.key, learner.module)] = planned
            if planned.trainer_key is not None:
                self.loads[planned.trainer_key] = self.loads.get(planned.trainer_key, 0) + 1
                self.busy.add((planned.trainer_key, planned.session, planned.slot))

    # -- forming classes -----------------------------------------------------------------------
    def build_module(self, module: str, learners: list[Learner]) -> None:
        waiting = []
        for learner in learners:
            if (learner.key, module) in self.placed:
                continue
            missing = [
                p
                for p in self.prerequisites.get(module, ())
                if (learner.key, p) in self.needed and (learner.key, p) not in self.placed
            ]
            if missing:
                self.unplaced.append(Unplaced(learner, PREREQUISITE))
            else:
                waiting.append(learner)
        bands = {}
        for learner in waiting:
            bands.setdefault(learner.band, []).append(learner)
        new_classes = []
        for band in sorted(bands):
            pool = bands[band]
            for with_neighbours in (False, True):
                pool = self._form(module, band, pool, with_neighbours, new_classes)
            self._fill(pool, new_classes, TOO_FEW)
        self._staff(module, new_classes)

    def _form(self, module, band, pool, with_neighbours, out) -> list[Learner]:
        """Greedy: the (slot, venue) with most waiting learners becomes classes, until below minimum."""
        cfg = self.config
        options: dict[tuple, list[int]] = {}
        for index, learner in enumerate(pool):
            for slot in learner.slots or TIME_SLOTS:
                for venue in self.venues(learner, with_neighbours):
                    options.setdefault((TIME_SLOTS.index(slot), venue), []).append(index)
        count = {option: len(members) for option, members in options.items()}
        taken = [False] * len(pool)
        while count:
            best = min(count, key=lambda o: (-count[o], o[0], self.codes.get(o[1], ""), o[1]))
            if count[best] < cfg.min_size:
                break
            slot_index, venue = best
            chosen = sorted(
                (i for i in options[best] if not taken[i]),
                key=lambda i: (self.rank(pool[i].group_id, venue), -pool[i].priority, pool[i].key),
            )
            parts = math.ceil(len(chosen) / cfg.max_size)
            if len(chosen) // parts < cfg.min_size:  # even parts would be too small: fill whole classes only
                parts -= 1
                chosen = chosen[: parts * cfg.max_size]
            for part in range(parts):
                members = chosen[part * len(chosen) // parts : (part + 1) * len(chosen) // parts]
                planned = PlannedClass(
                    module,
                    band,
                    TIME_SLOTS[slot_index],
                    venue,
                    self.session[module],
                    formed="neighbours" if with_neighbours else "own_group",
                )
                for i in members:
                    taken[i] = True
                    planned.learners.append(pool[i])
                    for slot in pool[i].slots or TIME_SLOTS:
                        for other in self.venues(pool[i], with_neighbours):
                            option = (TIME_SLOTS.index(slot), other)
                            count[option] -= 1
                            if not count[option]:
                                del count[option]
                out.append(planned)
        return [learner for i, learner in enumerate(pool) if not taken[i]]

    def _fill(self, pool, classes, reason) -> None:
        """Put each waiting learner in the closest fitting class with room; else unplaced for `reason`."""
        for learner in sorted(pool, key=lambda x: (-x.priority, x.key)):
            fits = []
            for position, planned in enumerate(classes):
                rank = self.rank(learner.group_id, planned.venue_group_id)
                if (
                    planned.band == learner.band
                    and rank is not None
                    and len(planned.learners) < self.config.max_size
                    and planned.slot in (learner.slots or TIME_SLOTS)
                ):
                    fits.append((rank, len(planned.learners), position))
            if fits:
                classes[min(fits)[2]].learners.append(learner)
            else:
                self.unplaced.append(Unplaced(learner, reason))

    # -- trainers ------------------------------------------------------------------------------
    def pick_trainer(self, planned: PlannedClass) -> str | None:
        """The closest free trainer (own group, then neighbours nearest first, then anyone), least loaded first."""
        venue = planned.venue_group_id
        for group_id in (venue,) + self.near.get(venue, ()):
            found = self._least_loaded(self.by_group.get(group_id, ()), planned)
            if found is not None:
                return found
        return self._least_loaded(self.trainers, planned)

    def _least_loaded(self, trainers, planned: PlannedClass) -> str | None:
        best = None
        for trainer in trainers:
            load = self.loads[trainer.key]
            if (
                load >= trainer.capacity
                or (trainer.modules is not None and planned.module not in trainer.modules)
                or (trainer.slots and planned.slot not in trainer.slots)
                or (trainer.key, planned.session, planned.slot) in self.busy
            ):
                continue
            if best is None or (load, trainer.key) < best:
                best = (load, trainer.key)
        return best[1] if best else None

    def assign(self, planned: PlannedClass, trainer_key: str) -> None:
        planned.trainer_key = trainer_key
        self.loads[trainer_key] += 1
        self.busy.add((trainer_key, planned.session, planned.slot))

    def _staff(self, module: str, new_classes: list[PlannedClass]) -> None:
        staffed, orphans = [], []
        for planned in sorted(new_classes, key=lambda c: (-sum(x.priority for x in c.learners), self._class_order(c))):
            trainer = self.pick_trainer(planned)
            if trainer is None:
                orphans.extend(planned.learners)
            else:
                self.assign(planned, trainer)
                staffed.append(planned)
        staffed.sort(key=self._class_order)
        self._fill(orphans, staffed, NO_TRAINER)
        for planned in staffed:
            self.classes.append(planned)
            for learner in planned.learners:
                self.placed[(learner.key, module)] = planned

    def _class_order(self, c: PlannedClass):
        return (
            c.session,
            self.codes.get(c.venue_group_id, ""),
            c.venue_group_id,
            TIME_SLOTS.index(c.slot) if c.slot in TIME_SLOTS else len(TIME_SLOTS),
            c.band,
            min((x.key for x in c.learners), default=()),
        )


def build_classes(
    learners: list[Learner],
    groups: list[Group],
    trainers: list[Trainer],
    config: Config,
    module_order,
    prerequisites: dict | None = None,
    locked: list[PlannedClass] = (),
) -> ClassPlan:
    """Classes for every module; the same input always gives the same plan."""
    if config.min_size < 1 or config.max_size < config.min_size:
        raise ValueError("class size bounds must satisfy 1 <= min_size <= max_size")
    builder = _Builder(groups, trainers, config, module_order, prerequisites or {})
    builder.keep_locked(list(locked))
    ordered = sorted(learners, key=lambda x: (x.key, x.module))
    builder.needed = {(x.key, x.module) for x in ordered}
    by_module = {}
    for learner in ordered:
        by_module.setdefault(learner.module, []).append(learner)
    for module in builder.module_order:
        builder.build_module(module, by_module.get(module, []))
    builder.classes.sort(key=builder._class_order)
    unplaced = sorted(builder.unplaced, key=lambda u: (builder.session.get(u.learner.module, 0), u.learner.key))
    return ClassPlan(builder.classes, unplaced, builder.loads)


def pick_trainer_for(
    planned: PlannedClass, groups: list[Group], trainers: list[Trainer], config: Config, taken: list[PlannedClass]
) -> str | None:
    """The trainer the builder would give a new class, given the classes that already have theirs."""
    builder = _Builder(groups, trainers, config, [planned.module], {})
    builder.keep_locked(taken)
    return builder.pick_trainer(planned)
