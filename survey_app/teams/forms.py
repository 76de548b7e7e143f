"""Forms of the teams pages (every change is a POST with a CSRF token)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField
from wtforms import IntegerField, SelectField, StringField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from survey_app.teams.models import StandingTeamKind
from survey_app.webforms import Form


def kind_choices():
    return [
        (StandingTeamKind.PROJECT06.value, _l("Project 06 working team")),
        (StandingTeamKind.COMMUNITY_DIGITAL.value, _l("Community digital team")),
        (StandingTeamKind.TECH_RESPONSE.value, _l("Tech response team")),
    ]


class ActionForm(Form):
    """A button that only needs the CSRF token (issue cards, assign automatically, confirm)."""


class StandingTeamForm(Form):
    number = IntegerField(_l("Number"), validators=[DataRequired(), NumberRange(1, 999)])
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=160)])
    kind = SelectField(_l("Kind"), choices=kind_choices)


class SplitForm(Form):
    survey_teams = IntegerField(_l("Number of survey teams"), validators=[DataRequired(), NumberRange(1, 500)])


class TeamChoiceForm(Form):
    """Pick a survey team (0 = none); the view fills the choices with the ward's teams."""

    team_id = SelectField(_l("Survey team"), coerce=int)


class LeaderForm(Form):
    user_id = SelectField(_l("Team leader"), coerce=int)


class ImportForm(Form):
    table_file = FileField(_l("Table (CSV or XLSX)"))
    boundary_file = FileField(_l("Boundaries (GeoJSON, optional)"), validators=[Optional()])


class CutForm(Form):
    """Move the cut between two shares of a split group: the left share ends at household `last`."""

    index = IntegerField(_l("Cut"), validators=[InputRequired(message=_l("Choose the cut to move."))])
    last = IntegerField(
        _l("Last household of the first team"), validators=[InputRequired(message=_l("Enter the number of a household."))]
    )
