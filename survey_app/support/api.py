"""The JSON side of the support log: what the phone caches offline, and the figures for exports."""

from __future__ import annotations

from flask import jsonify, request
from flask_babel import gettext as _
from flask_login import current_user

from survey_app.access import load_or_abort, roles_required
from survey_app.accounts.models import COLLECTORS
from survey_app.errors import error_response
from survey_app.support import figures, operations, queries
from survey_app.support.views import READERS
from survey_app.wards.models import Ward


@roles_required(*COLLECTORS)
def phone_data():
    """Catalogue, the team's groups with their surveyed people, and open follow-ups (cached by the phone)."""
    if not queries.catalogue(current_user.ward_id):
        operations.ensure_default_catalogue(current_user.ward)  # a ward's first use of the support log
    return jsonify(queries.phone_data(current_user))


@roles_required(*READERS)
def figures_json():
    """The support figures of one ward (?ward_id=, required for city viewers), as the user may see them."""
    ward_id = request.args.get("ward_id")
    if ward_id is None:
        if current_user.is_city_level:
            return error_response(400, _("Choose a ward: add ?ward_id= to the address."))
        ward_id = current_user.ward_id
    ward = load_or_abort(Ward, ward_id)
    return jsonify(figures.shown_figures(current_user, figures.support_figures(current_user, ward.id)))
