"""Fixtures of the form engine's tests."""

import pytest

from survey_app.formdefs import shipped


@pytest.fixture(scope="session")
def household_form():
    return shipped.current("household_survey")


@pytest.fixture(scope="session")
def support_form():
    return shipped.current("support_event")
