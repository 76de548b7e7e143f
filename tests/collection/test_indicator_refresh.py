"""A submission stored from the phone, or reviewed, reaches the dashboard's indicator rows at once."""
import sqlalchemy as sa

from survey_app.collection.models import ReviewStatus, Submission
from survey_app.dashboard.models import PersonIndicator
from survey_app.extensions import db
from tests.collection.conftest import ApiClient, record
from tests.formdefs.answers import household


def _indicator_rows(household_id):
    db.session.expire_all()
    return db.session.scalar(sa.select(sa.func.count()).select_from(PersonIndicator)
                             .where(PersonIndicator.household_id == household_id))


def test_store_and_review_refresh_person_indicators(app, world):
    answers = household(a1_group=world.group_a1.code)
    phone = ApiClient(app.test_client(), "surveyor_1")
    body = record(world.hh_a1.id, form_id="household_survey", form_version="2025.1", answers=answers,
                  started_at="2025-08-20T02:11:00Z")
    response = phone.post("/api/submissions", body)
    assert response.status_code == 201, response.get_json()
    assert _indicator_rows(world.hh_a1.id) == len(answers["members"])

    from survey_app.accounts.models import User
    from survey_app.collection.operations import review_submission

    submission = db.session.get(Submission, response.get_json()["submission_id"])
    admin = db.session.get(User, world.admin_a.id)
    review_submission(submission, ReviewStatus.REJECTED, admin, "thử")
    db.session.commit()
    assert _indicator_rows(world.hh_a1.id) == 0  # rejected answers leave the indicators
