"""Demo stage: the demo ward's training plan, generated from its answers as its ward admin would."""

from __future__ import annotations

from survey_app.accounts.models import Role
from survey_app.planning.operations import PlanEditError, generate_plan
from survey_app.planning.planner import PlanSettings


def stage_plan(ctx) -> None:
    """Generate the plan with the default settings; a demo too small to have answers has none."""
    try:
        generate_plan(ctx.ward, PlanSettings(), user=ctx.accounts.get(Role.WARD_ADMIN))
    except PlanEditError:
        pass
