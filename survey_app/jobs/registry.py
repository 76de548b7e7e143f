"""What the worker knows how to do: job handlers by kind, and ticks (functions called regularly)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

#: kind -> Handler; filled at import time by the capabilities' tasks.py modules.
HANDLERS: dict[str, "Handler"] = {}
#: name -> Tick.
TICKS: dict[str, "Tick"] = {}


class JobError(Exception):
    """A failure the handler explains in words for people (shown on the page as it is).

    `retry=False` when trying again cannot help (the ward has no answers, the user lost access):
    the job fails at once instead of being tried again.
    """

    def __init__(self, message: str, *, retry: bool = True):
        super().__init__(message)
        self.message, self.retry = str(message), retry


@dataclass(frozen=True)
class Handler:
    kind: str
    #: fn(job) -> JSON-able result or None; its writes are committed with the job's `done`.
    fn: Callable
    #: on_failure(job, error_text), in the transaction that marks the job failed for good.
    on_failure: Callable | None = None


@dataclass(frozen=True)
class Tick:
    name: str
    fn: Callable[[], None]
    every_seconds: float
    #: One worker at a time across processes and hosts (PostgreSQL advisory lock).
    exclusive: bool = True


def handler(kind: str, *, on_failure: Callable | None = None):
    """Decorator: `fn(job)` does the jobs of `kind`."""

    def register(fn):
        HANDLERS[kind] = Handler(kind, fn, on_failure)
        return fn

    return register


def register_tick(name: str, fn: Callable[[], None], every_seconds: float, *, exclusive: bool = True) -> None:
    """Have every worker call `fn()` about every `every_seconds`, in its own app context and transaction."""
    if every_seconds <= 0:
        raise ValueError("every_seconds must be positive")
    TICKS[name] = Tick(name, fn, float(every_seconds), exclusive)
