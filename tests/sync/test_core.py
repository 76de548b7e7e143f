"""The sync core: one loop for every kind of record, handlers that do not know each other."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from survey_app.audit.models import AuditEvent
from survey_app.extensions import db
from survey_app.sync import core
from survey_app.sync.envelope import Receipt, RecordError
from survey_app.wards.models import City
from tests.collection.conftest import record

PACKAGE = Path(__file__).resolve().parents[2] / "survey_app"


def _imports(folder: str) -> set[str]:
    names = set()
    for path in (PACKAGE / folder).rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.module:
                names.add(node.module)
            elif isinstance(node, ast.Import):
                names.update(alias.name for alias in node.names)
    return names


def test_collection_and_support_share_the_core_not_each_others_internals():
    collection, support = _imports("collection"), _imports("support")
    assert "survey_app.sync.core" in collection and "survey_app.sync.core" in support
    assert not any(name.startswith("survey_app.support") for name in collection)
    assert {name for name in support if name.startswith("survey_app.collection")} <= {"survey_app.collection.models"}
    assert not any(name.startswith(("survey_app.collection", "survey_app.support")) for name in _imports("sync"))


class _Flaky(core.Handler):
    """Loses the race on its first tries, then stores a row: what a concurrent insert looks like."""

    kind = "test_flaky"

    def __init__(self, losses: int):
        self.losses, self.tries = losses, 0

    def store(self, payload, submitter):
        self.tries += 1
        db.session.add(City(code=f"T{self.tries}", name="Thử"))
        db.session.flush()
        if self.tries <= self.losses:
            raise IntegrityError("INSERT", {}, Exception("a concurrent request won"))
        return Receipt(payload["uuid"], 201, "stored")

    def known(self, uuid, digest, submitter):
        return None


class _Refusing(core.Handler):
    kind = "test_refusing"

    def store(self, payload, submitter):
        db.session.add(City(code="REFUSED", name="Không lưu"))
        db.session.flush()
        raise RecordError(403, "forbidden", "not yours")

    def known(self, uuid, digest, submitter):
        return None


@pytest.fixture
def handlers():
    saved = dict(core._HANDLERS)
    yield
    core._HANDLERS.clear()
    core._HANDLERS.update(saved)


def _cities() -> set[str]:
    return set(db.session.scalars(sa.select(City.code)))


def test_a_lost_race_is_tried_again_and_leaves_only_the_winning_try(app, world, handlers):
    flaky = core.register(_Flaky(losses=core.RACE_ATTEMPTS - 1))
    uuid = "7d6f0e1a-3c2b-4f5e-8a9b-0c1d2e3f4a5b"
    with app.test_request_context():
        receipt = core.ingest({"kind": flaky.kind, "uuid": uuid}, core.Submitter(ward_id=world.ward_a.id))
        assert (receipt.status, receipt.result, flaky.tries) == (201, "stored", core.RACE_ATTEMPTS)
        assert {code for code in _cities() if code.startswith("T")} == {f"T{core.RACE_ATTEMPTS}"}


def test_a_race_lost_every_time_is_a_conflict_not_an_error(app, world, handlers):
    flaky = core.register(_Flaky(losses=core.RACE_ATTEMPTS))
    with app.test_request_context():
        receipt = core.ingest(
            {"kind": flaky.kind, "uuid": "7d6f0e1a-3c2b-4f5e-8a9b-0c1d2e3f4a5c"}, core.Submitter(ward_id=world.ward_a.id)
        )
        assert (receipt.status, receipt.result) == (409, "conflict")
        assert not any(code.startswith("T") for code in _cities())


def test_a_refusal_undoes_the_records_work_and_is_audited(app, world, handlers):
    core.register(_Refusing())
    with app.test_request_context():
        receipt = core.ingest(
            {"kind": "test_refusing", "uuid": "7d6f0e1a-3c2b-4f5e-8a9b-0c1d2e3f4a5d"}, core.Submitter(ward_id=world.ward_a.id)
        )
        assert (receipt.status, receipt.result) == (403, "forbidden")
        assert "REFUSED" not in _cities()
        assert db.session.scalar(sa.select(sa.func.count()).where(AuditEvent.action == "record.refused")) == 1


def test_a_batch_names_an_unknown_kind_and_stores_the_rest(surveyor, world):
    good = record(world.hh_a1.id)
    response = surveyor.post(
        "/api/submissions/batch", {"items": [{"kind": "attendance_v9", "uuid": "7d6f0e1a-3c2b-4f5e-8a9b-0c1d2e3f4a5e"}, good]}
    )
    first, second = response.get_json()["results"]
    assert (first["status"], first["result"]) == (400, "unknown_kind") and "attendance_v9" in first["message"]
    assert (second["status"], second["result"]) == (201, "stored")


@pytest.mark.parametrize(
    "payload",
    [
        {},
        {"attempt": 1},
        {"uuid": "x", "members": [{"b0_name": "Nguyễn Thị Ễ"}], "sent_at": "2025-08-01T10:00:00Z", "attempt": 2},
        {"note": "không dấu và có dấu", "n": 3.5},
    ],
)
def test_a_records_size_limit_counts_the_whole_record_to_the_byte(app, payload, monkeypatch):
    """sized_content serialises the content once, for the hash and the limit: the limit still counts
    the whole record (transport fields too) exactly as its canonical JSON, and the hash leaves them out."""
    from survey_app.sync.envelope import canonical_json, content_hash, content_of, sized_content

    whole = len(canonical_json(payload).encode())
    monkeypatch.setitem(app.config, "SUBMISSION_MAX_BYTES", whole)
    assert sized_content(payload) == (content_of(payload), content_hash(content_of(payload)))
    monkeypatch.setitem(app.config, "SUBMISSION_MAX_BYTES", whole - 1)
    with pytest.raises(RecordError) as refused:
        sized_content(payload)
    assert refused.value.status == 413
