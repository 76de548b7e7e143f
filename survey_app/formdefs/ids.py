"""The ids of the forms the app itself knows by name (forms/<form_id>.xlsx): one spelling, imported
wherever code needs the household survey, rather than the string written out in each module."""

from __future__ import annotations

#: The household survey: households, their members aged 15 or over, their skills and needs.
HOUSEHOLD_FORM = "household_survey"
#: The age from which the household survey's part B asks a member about their skills (the form's own
#: relevance says the same): the phone's roster, the paper form, the indicators and the demo use this one.
ADULT_AGE = 15
