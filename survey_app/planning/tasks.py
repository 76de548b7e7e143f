"""The worker's side of planning: the job of kind "plan" generates a ward's training plan."""

from __future__ import annotations

from survey_app import jobs
from survey_app.accounts.models import User
from survey_app.extensions import db
from survey_app.planning import operations
from survey_app.planning.planner import PlanSettings
from survey_app.wards.models import Ward


@jobs.handler("plan")
def generate(job: jobs.Job) -> dict:
    """Generate the plan with the settings asked for; its rows are committed with the job's `done`."""
    ward = db.session.get(Ward, job.ward_id)
    user = db.session.get(User, job.user_id) if job.user_id else None
    try:
        plan = operations.generate_plan(ward, PlanSettings(**job.payload["settings"]), user)
    except operations.PlanEditError as refused:  # no answers: trying again cannot help
        raise jobs.JobError(str(refused), retry=False) from None
    return {"plan_id": plan.id, "classes": plan.summary.get("classes", 0)}
