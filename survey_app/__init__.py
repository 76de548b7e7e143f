"""survey_app: household digital-skills survey for Vietnamese wards and communes."""

from survey_app.app import create_app

__all__ = ["create_app"]
