"""Fixtures of the ward settings and targets tests."""

import pytest

from survey_app.extensions import db
from tests.dashboard.helpers import OFFLINE, SKILLED, interview


@pytest.fixture
def answered(world):
    """Ward A: one of two adults with level-2 VNeID (50 %); ward B: one of one (100 %)."""
    interview(world.hh_a1, [SKILLED, OFFLINE], surveyor=world.surveyor_1)
    interview(world.hh_b1, [SKILLED])
    db.session.commit()
    return world
