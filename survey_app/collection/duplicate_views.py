"""Possible duplicate households of the ward, and the admin's merge of a pair."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from survey_app.access import load_or_abort, roles_required
from survey_app.accounts.models import Role
from survey_app.audit.operations import record as audit
from survey_app.collection import duplicates
from survey_app.collection.models import Household
from survey_app.errors import error_response
from survey_app.extensions import db
from survey_app.webforms import Form


@roles_required(Role.WARD_ADMIN)
def duplicate_list():
    return render_template(
        "collection/duplicates.html", form=Form(), pairs=duplicates.household_pairs(current_user, current_user.ward_id)
    )


@roles_required(Role.WARD_ADMIN)
def merge_households():
    """Merge the household `drop` into `keep` (form fields), keeping every visit and submission."""
    form = Form()
    if not form.validate_on_submit():
        return error_response(400, _("The form expired: open the page again."))
    if not (request.form.get("keep", "").isdigit() and request.form.get("drop", "").isdigit()):
        return error_response(400, _("Choose the household to keep and the one to merge into it."))
    keep = load_or_abort(Household, request.form.get("keep"), write=True)  # another ward's: 403, audited
    drop = load_or_abort(Household, request.form.get("drop"), write=True)
    try:
        moved = duplicates.merge(keep, drop, current_user)
    except duplicates.MergeRefused as refusal:
        db.session.rollback()
        audit(
            "household.merge_refused",
            user=current_user,
            ward_id=current_user.ward_id,
            object_type="households",
            object_id=keep.id,
            detail={"drop": drop.id},
        )
        db.session.commit()
        return error_response(400, str(refusal))
    flash(
        _(
            "The two households are one now: %(visits)s visits and %(submissions)s submissions kept.",
            visits=moved.get("visits", 0),
            submissions=moved.get("submissions", 0),
        ),
        "info",
    )
    return redirect(url_for("collection.duplicate_list"))
