"""Every URL rule of collection."""
from flask import Blueprint

from survey_app.collection import views

bp = Blueprint("collection", __name__, template_folder="templates")

bp.add_url_rule("/survey", "my_groups", views.my_groups)
bp.add_url_rule("/groups/<group_id>/households", "group_households", views.group_households)
