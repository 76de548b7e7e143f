"""The ward offices list lives in the core (survey_app.offices); teams code imports it from here too."""

from survey_app.offices import OFFICE_CODES, OFFICES, Office, find_office, fold, office_label  # noqa: F401
