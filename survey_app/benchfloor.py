"""The load bench's floor: a batch endpoint that only inserts the JSON rows (never in production).

Registered by the factory only when the config BENCH_FLOOR is on (SURVEY_BENCH_FLOOR=1, set by
bench/load.py alone). It sits behind the same login, role check, CSRF check and SQLite write lock
as the real batch endpoint, and stores each item as (uuid, body) in `bench_floor_rows`, a plain
table the bench creates itself (no model, no migration): what any ingest costs at the least.
"""

from __future__ import annotations

import json

import sqlalchemy as sa
from flask import Blueprint, jsonify, request

from survey_app.access import roles_required
from survey_app.accounts.models import COLLECTORS
from survey_app.errors import error_response
from survey_app.extensions import db

bp = Blueprint("benchfloor", __name__)

#: Re-sent batches meet their rows again: kept, not refused (SQLite and PostgreSQL both speak this).
_INSERT = sa.text("INSERT INTO bench_floor_rows (uuid, body) VALUES (:uuid, :body) ON CONFLICT (uuid) DO NOTHING")


@bp.post("/api/bench/floor/batch")
@roles_required(*COLLECTORS)
def floor_batch():
    """One executemany of (uuid, body), one commit, one result per item."""
    body = request.get_json(silent=True)
    items = body.get("items") if isinstance(body, dict) else None
    if not isinstance(items, list) or not items or not all(isinstance(item, dict) for item in items):
        return error_response(400)
    rows = [{"uuid": str(item.get("uuid"))[:36], "body": json.dumps(item, ensure_ascii=False)} for item in items]
    db.session.execute(_INSERT, rows)
    db.session.commit()
    return jsonify(results=[{"uuid": row["uuid"], "status": 201, "result": "stored"} for row in rows])
