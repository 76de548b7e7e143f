"""Files sent with submissions (image, audio, video and file questions), kept outside the database.

The record arrives first, with each media answer holding the file's name (as in ODK); one
SubmissionFile row per name is made then. Each file is then sent on its own
(POST /api/submissions/<id>/files/<name>): a file that fails to arrive is sent again alone, an
identical re-send is a no-op (same hash), and the submission is complete when every file arrived.
Bytes are stored under <instance>/media/<ward id>/, named by their SHA-256; at most MEDIA_MAX_MB each.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import sqlalchemy as sa
from flask import current_app

from survey_app.collection.models import Submission, SubmissionFile
from survey_app.extensions import db, utcnow

#: Question types whose answer names a file sent beside the record.
MEDIA_TYPES = ("image", "audio", "video", "file", "audit")
#: What a file of each question type may be; anything else is kept as a plain download.
ACCEPTED = {"image": ("image/",), "audio": ("audio/",), "video": ("video/",), "file": (), "audit": ("text/csv",)}
STORE = "media"


def max_bytes() -> int:
    return int(current_app.config.get("MEDIA_MAX_MB", 10)) * 1024 * 1024


def named_files(schema, answers: dict) -> list[tuple[str, str]]:
    """(question, file name) of every media answer: the household part, then each repeat entry, nested
    repeats' entries inside their parent's."""
    found: list[tuple[str, str]] = []

    def walk(repeat, level: dict) -> None:
        for item in schema.scope(repeat):
            if item.type in MEDIA_TYPES and isinstance(level.get(item.name), str):
                found.append((item.name, level[item.name]))
        for child in schema.repeats:
            if child.repeat is repeat:
                for entry in level.get(child.name) or []:
                    if isinstance(entry, dict):
                        walk(child, entry)

    walk(None, answers)
    return found


def expect_files(submission: Submission, schema) -> None:
    """One row per file the answers name, waiting for its bytes (none again for a name it has: a fix
    of the answers expects only the files it adds)."""
    seen = {row.name for row in files_of(submission.id)} if submission.version > 1 else set()
    for field, name in named_files(schema, submission.answers or {}):
        if name in seen:
            continue
        seen.add(name)
        db.session.add(SubmissionFile(ward_id=submission.ward_id, submission_id=submission.id, name=name, field=field))
    db.session.flush()


def files_of(submission_id: int) -> list[SubmissionFile]:
    return list(
        db.session.execute(
            sa.select(SubmissionFile).where(SubmissionFile.submission_id == submission_id).order_by(SubmissionFile.id)
        ).scalars()
    )


def missing_of(submission_id: int) -> list[str]:
    """Names of the submission's files that have not arrived yet (empty: the submission is complete)."""
    return [row.name for row in files_of(submission_id) if not row.received]


def store_path(ward_id: int, sha256: str) -> Path:
    return Path(current_app.instance_path) / STORE / str(ward_id) / sha256[:2] / sha256


def write(ward_id: int, data: bytes) -> str:
    """Store the bytes once (named by their hash) and give the hash."""
    sha256 = hashlib.sha256(data).hexdigest()
    path = store_path(ward_id, sha256)
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        partial = path.with_name(path.name + ".part")
        partial.write_bytes(data)
        partial.replace(path)
    return sha256


def content_type_for(row: SubmissionFile, sent: str | None, schema_type: str | None = None) -> str:
    """The type the file is served with: what the phone said, if it fits the question; else a download."""
    sent = (sent or "").split(";")[0].strip().lower()
    prefixes = ACCEPTED.get(schema_type or "file", ())
    if sent and any(sent.startswith(prefix) for prefix in prefixes) and len(sent) <= 100 and "svg" not in sent:
        return sent
    return "application/octet-stream"


def receive(row: SubmissionFile, sha256: str, size: int, content_type: str) -> None:
    row.sha256, row.size, row.content_type, row.received_at = sha256, size, content_type, utcnow()
    db.session.flush()


def inline(row: SubmissionFile) -> bool:
    """Whether the review page may show the file in the page (a picture, a sound, a video)."""
    return bool(row.content_type) and row.content_type.split("/")[0] in ("image", "audio", "video")
