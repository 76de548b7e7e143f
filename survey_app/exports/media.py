"""The files sent with submissions (photos, sound, video, files), exported as a zip beside the workbook.

Only for exports that carry people (`Scope.personal`: ward admins and the command line): the
files are personal data, scoped exactly as the export's rows (its ward, the viewer's `visible`
submissions, the chosen groups). Members are named `<submission id>/<file name>`, the file name
being the answer's value in the workbook.
"""

from __future__ import annotations

import zipfile
from pathlib import Path

import sqlalchemy as sa

from survey_app.collection import media
from survey_app.collection.models import Submission, SubmissionFile
from survey_app.exports.queries import scoped
from survey_app.exports.spec import Scope
from survey_app.extensions import db

SUFFIX = "-media.zip"


def _statement(scope: Scope):
    return (
        sa.select(SubmissionFile, Submission.id)
        .join(Submission, Submission.id == SubmissionFile.submission_id)
        .where(*scoped(Submission, scope, Submission.residential_group_id), SubmissionFile.received_at.is_not(None))
        .order_by(Submission.id, SubmissionFile.id)
    )


def count(scope: Scope) -> int:
    """Files the export's media zip would hold (none for exports without people)."""
    if not scope.personal:
        return 0
    return db.session.scalar(sa.select(sa.func.count()).select_from(_statement(scope).subquery())) or 0


def name_beside(workbook: str | Path) -> str:
    """The media zip's file name beside a workbook (or CSV zip): '<stem>-media.zip'."""
    name = Path(workbook).name
    for suffix in (".xlsx", ".zip"):
        if name.endswith(suffix):
            name = name[: -len(suffix)]
    return name + SUFFIX


def write_zip(scope: Scope, target: Path) -> dict[str, int]:
    """Write the zip (atomically: a temporary name, renamed at the end); counts of files and bytes."""
    files = size = 0
    temporary = target.with_name(f".{target.name}.part")
    try:
        with zipfile.ZipFile(temporary, "w", compression=zipfile.ZIP_STORED, allowZip64=True) as archive:
            for row, submission_id in db.session.execute(_statement(scope)):
                path = media.store_path(row.ward_id, row.sha256)
                if not path.exists():
                    continue
                archive.write(path, f"{submission_id}/{row.name}")
                files, size = files + 1, size + (row.size or 0)
        temporary.replace(target)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
    return {"files": files, "bytes": size}
