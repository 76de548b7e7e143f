"""The form engine's messages reach the user in Vietnamese (and in English when chosen)."""

from __future__ import annotations

from flask_babel import force_locale

from survey_app.formdefs.parser import load_form
from survey_app.formdefs.validation import validate
from tests.formdefs.answers import TODAY, household


def test_vietnamese_reaches_validation_and_load_errors(app, household_form):
    (error,) = validate(household_form.schema, household(a2_address=None), "vi", today=TODAY)
    assert error["message"] == "Câu này bắt buộc phải trả lời."
    (error,) = validate(household_form.schema, household(a2_address=None), "en", today=TODAY)
    assert error["message"] == "An answer is required."
    form = b"| survey |\n| | type | name |\n| | integr | a |\n| settings |\n| | form_id | version |\n| | f | 1 |\n"
    (problem,) = load_form(form, "f.md").errors
    with force_locale("vi"):
        assert problem.message == "Loại câu hỏi 'integr' không hợp lệ."
