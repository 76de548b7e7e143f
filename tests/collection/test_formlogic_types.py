"""The leaf question types on the phone (JS under Node) against the server, on tests/formdefs/examples/question_types.md:
the phone flags what the server flags, records metadata and defaults by itself, and shuffles choices per record."""

import json
import subprocess
from datetime import date, datetime, timezone
from pathlib import Path

import pytest

from survey_app.formdefs.layout import client_json
from survey_app.formdefs.parser import load_form
from survey_app.formdefs.validation import complete, validate
from tests.collection.test_formlogic import run_phone
from tests.formdefs.test_question_types import ANSWERS, FORM

CASES = Path(__file__).with_name("question_cases.mjs")


@pytest.fixture(scope="module")
def schema_json(app):
    schema = load_form(FORM).schema
    with app.test_request_context():
        return schema, client_json(schema, "en")


def test_phone_and_server_agree_on_every_type(schema_json):
    schema, data = schema_json
    raw_cases = [
        dict(ANSWERS),
        {**ANSWERS, "score": 11, "level": 1.75},
        {**ANSWERS, "priorities": ["roads", "schools"], "code": "ABC"},
        {key: value for key, value in ANSWERS.items() if key not in ("code", "consent", "score", "next_score")},
        {**ANSWERS, "next_score": 100, "stars": 5.5},
    ]
    results = run_phone(data, raw_cases)
    for raw, result in zip(raw_cases, results):
        sent = result["answers"]
        server = validate(schema, sent, "en", today=date.today())
        for problem in result["problems"]:  # the form's own messages go to the phone in every language
            if isinstance(problem["message"], dict):
                problem["message"] = problem["message"]["en"]
        assert {(e["field"], e["code"], e["message"]) for e in server} == {
            (p["field"], p["code"], p["message"]) for p in result["problems"]
        }, raw
    full, scale, rank, missing, constraint = results
    assert full["problems"] == [] and full["answers"] == complete(schema, full["answers"], today=date.today())
    ended = datetime.fromisoformat(full["answers"]["ended"].replace("Z", "+00:00"))
    assert abs((datetime.now(timezone.utc) - ended).total_seconds()) < 60  # `end`: the time the answers were checked
    assert {p["field"]: p["code"] for p in scale["problems"]} == {"score": "constraint", "level": "constraint"}
    assert {p["field"]: p["code"] for p in rank["problems"]} == {"priorities": "type", "code": "constraint"}
    assert {p["field"]: p["message"] for p in missing["problems"]} == {
        "code": "Scan or type the code",
        "consent": "An answer is required.",
        "score": "Pick a score",
    }
    assert {p["field"] for p in constraint["problems"]} == {"next_score", "stars"}


def run_cases(data, env):
    done = subprocess.run(
        ["node", "--experimental-default-type=module", str(CASES)],
        input=json.dumps({"schema": data, "env": env}),
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    return json.loads(done.stdout)


def test_metadata_hidden_defaults_and_shuffles_on_the_phone(schema_json):
    _schema, data = schema_json
    out = run_cases(data, {"username": "surveyor_1", "deviceid": "survey_app:0a1b", "now": "2025-06-15T02:00:00Z"})
    assert out["setUp"] == {
        "started": "2025-06-15T02:00:00.000Z",
        "ended": "2025-06-15T02:00:00.000Z",
        "day": "2025-06-15",
        "device": "survey_app:0a1b",
        "user": "surveyor_1",
        "source": "door",
    }
    assert out["setUpTwice"] == "changed" and out["seedKept"]  # set up once per record, never again
    assert out["defaults"]["next_score"] == 5  # ${score} + 1, evaluated when first shown
    assert out["defaults"]["visit_day"] == date.today().isoformat() and out["defaults"]["city"] == "Hà Nội"
    assert out["defaults"]["fixed_choice"] == "yes" and not out["reapplied"]
    colours = ["red", "green", "blue", "gold"]
    assert all(sorted(order) == sorted(colours) for order in out["perRecord"])
    assert out["perRecord"] == out["perRecordAgain"]  # stable for a record
    assert len({tuple(order) for order in out["perRecord"]}) > 1  # but not the same for every record
    same_record, again, other_record = out["byRecord"]
    assert same_record == again != other_record and sorted(same_record) == sorted(colours)
    first, same, other = out["seeded"]
    assert first == same and first != other and sorted(first) == sorted(colours)  # seed=${score}
    assert out["unshuffled"] == colours and out["sameSeed"]
    assert out["scales"] == {"score": [0, 2, 4, 6, 8, 10], "level": [1, 1.5, 2, 2.5, 3], "stars": [1, 2, 3, 4, 5]}
    assert out["geo"] == [["21 105", "21.1 105 3 4"], ["21 105", "21.1 105", "21.1 105.1", "21 105"], None]
