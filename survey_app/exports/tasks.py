"""The worker's side of exports: the job of kind "export" writes a queued export's file."""

from __future__ import annotations

from survey_app import jobs
from survey_app.exports import operations
from survey_app.exports.models import ExportJob, ExportStatus
from survey_app.exports.operations import ExportError
from survey_app.extensions import db


def export_failed(job: jobs.Job, error: str) -> None:
    """After the last try: the export is failed with the job's error, and the person may ask again."""
    operations.fail_job(job.payload["export_id"], error)


@jobs.handler("export", on_failure=export_failed)
def run_export(job: jobs.Job) -> dict | None:
    """Write the export's file; its closing and audit event are committed with the job's `done`."""
    export = db.session.get(ExportJob, job.payload["export_id"])
    if export is None or export.status != ExportStatus.RUNNING:
        return None  # deleted, or closed by hand meanwhile: nothing to write
    try:
        counts = operations.write_queued(export, beat=lambda rows: job.beat({"rows": rows}))
    except ExportError as refused:  # the request is no longer allowed (access, groups): trying again cannot help
        raise jobs.JobError(str(refused), retry=False) from None
    return {"rows": sum(counts.values())}
