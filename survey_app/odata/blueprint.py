"""Every URL rule of odata: the feed at /odata, the same feed in ODK Central's layout at /v1, the tokens page."""

from flask import Blueprint

from survey_app.extensions import csrf
from survey_app.odata import views

bp = Blueprint("odata", __name__, template_folder="templates")

# The feed (a "project" in Central's layout is a ward), its address with or without a final slash.
# Tables: Submissions, Submissions.members, ...
bp.add_url_rule("/odata/<ward_id>/<form_id>.svc/", "service", views.service, strict_slashes=False)
bp.add_url_rule("/odata/<ward_id>/<form_id>.svc/$metadata", "metadata", views.metadata)
bp.add_url_rule("/odata/<ward_id>/<form_id>.svc/<table>", "table", views.table)
bp.add_url_rule("/v1/projects/<ward_id>/forms/<form_id>.svc/", "central_service", views.central_service, strict_slashes=False)
bp.add_url_rule("/v1/projects/<ward_id>/forms/<form_id>.svc/$metadata", "central_metadata", views.central_metadata)
bp.add_url_rule("/v1/projects/<ward_id>/forms/<form_id>.svc/<table>", "central_table", views.central_table)
# Central's sign-in for scripts (pyodk): JSON, no cookie; the API token in the body is the key.
bp.add_url_rule("/v1/sessions", "central_sessions", csrf.exempt(views.central_sessions), methods=["POST"])
bp.add_url_rule("/v1/users/current", "central_current_user", views.central_current_user)

# The person's own tokens, beside their password and devices.
bp.add_url_rule("/account/tokens", "tokens", views.tokens, methods=["GET", "POST"])
bp.add_url_rule("/account/tokens/revoke", "revoke_token", views.revoke_token, methods=["POST"])
