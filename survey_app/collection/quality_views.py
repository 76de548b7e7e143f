"""The data-quality page: flags per surveyor, the flagged records, and the ward's thresholds."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from wtforms import IntegerField
from wtforms.validators import InputRequired, NumberRange

from survey_app.access import roles_required, visible
from survey_app.accounts.models import Role
from survey_app.audit.operations import record as audit
from survey_app.collection import quality
from survey_app.collection.models import Submission
from survey_app.webforms import Form


def thresholds_form(ward, formdata=None):
    """A form with one whole-number field per threshold, filled with the ward's values."""
    fields = {t.key: IntegerField(t.label, validators=[InputRequired(), NumberRange(t.low, t.high)]) for t in quality.THRESHOLDS}
    form_class = type("QualityThresholdsForm", (Form,), fields)
    return form_class(formdata=formdata, data=quality.thresholds_of(ward))


def _page(form, status: int = 200):
    ward = current_user.ward
    scope = visible(Submission, current_user)
    code = request.args.get("flag") if request.args.get("flag") in quality.FLAGS else None
    surveyor = request.args.get("surveyor", type=int)
    return render_template(
        "collection/quality.html",
        ward=ward,
        form=form,
        labels=quality.flag_labels(),
        short=quality.flag_short_labels(),
        codes=quality.FLAGS,
        surveyors=quality.by_surveyor(ward, scope),
        code=code,
        surveyor=surveyor,
        flagged=quality.flagged(ward, scope, code, surveyor),
        may_set=current_user.role == Role.WARD_ADMIN,
    ), status


@roles_required(Role.WARD_ADMIN, Role.TEAM_LEADER)
def quality_page():
    return _page(thresholds_form(current_user.ward))


@roles_required(Role.WARD_ADMIN)
def set_thresholds():
    ward = current_user.ward
    form = thresholds_form(ward, request.form)
    if not form.validate_on_submit():
        return _page(form, 400)
    wanted = {t.key: form[t.key].data for t in quality.THRESHOLDS}
    if wanted != quality.thresholds_of(ward):
        ward.quality_thresholds = wanted
        audit(
            "ward.quality_thresholds_changed",
            user=current_user,
            ward_id=ward.id,
            object_type="wards",
            object_id=ward.id,
            detail=wanted,
        )
        flash(_("The thresholds were saved: the flags follow them at once."), "info")
    else:
        flash(_("Nothing was changed."), "info")
    return redirect(url_for("collection.quality_page"))
