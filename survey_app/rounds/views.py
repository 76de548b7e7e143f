"""The rounds page (start the next round) and "Đánh giá hiệu quả": what changed between rounds."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from survey_app.access import load_or_abort, load_ward_to_administer, roles_required
from survey_app.accounts.models import CITY_ROLES, Role
from survey_app.dashboard.labels import indicator_labels
from survey_app.dashboard.tasks import queue_rebuild
from survey_app.extensions import db
from survey_app.rounds import operations, queries
from survey_app.rounds.forms import RoundForm
from survey_app.wards import targets as plan_targets
from survey_app.wards.models import Ward

READERS = (Role.WARD_ADMIN, Role.TEAM_LEADER, *CITY_ROLES)


def _render_rounds(ward: Ward, form: RoundForm, status: int = 200):
    rounds = operations.rounds_of(ward)
    chosen = next((r for r in rounds if r.figures and str(r.number) == request.args.get("round")), None)
    return (
        render_template(
            "rounds/rounds.html",
            ward=ward,
            rounds=rounds,
            chosen=chosen,
            groups=queries.shown_groups(chosen, current_user) if chosen else [],
            form=form,
            can_start=current_user.role == Role.WARD_ADMIN,
        ),
        status,
    )


@roles_required(*READERS)
def ward_rounds(ward_id):
    ward = load_or_abort(Ward, ward_id)
    return _render_rounds(ward, RoundForm(name=_("Round %(number)s", number=operations.rounds_of(ward)[-1].number + 1)))


@roles_required(Role.WARD_ADMIN)
def start_round(ward_id):
    ward = load_ward_to_administer(ward_id)
    form = RoundForm()
    if not form.validate_on_submit():
        return _render_rounds(ward, form, 400)
    try:
        new = operations.start_round(
            ward, name=form.name.data, starts_on=form.starts_on.data, ends_on=form.ends_on.data, user=current_user, rebuild=False
        )
        queue_rebuild(ward.id, current_user.id)  # the worker derives the new round's figures
    except operations.RoundError as error:
        db.session.rollback()
        form.starts_on.errors = [str(error)]
        return _render_rounds(ward, form, 400)
    db.session.commit()
    flash(_("%(name)s has started: the households are to be visited again.", name=new.name), "info")
    flash(_("The dashboard's figures are being computed again for the new round; they follow in a moment."), "info")
    return redirect(url_for("rounds.ward_rounds", ward_id=ward.id))


def _breakdown_names(by: str) -> dict:
    return {
        "age_group": {"unknown": _("Not recorded"), "75_plus": _("75 or over")},
        "sex": {"male": _("Male"), "female": _("Female"), "other": _("Other"), "unknown": _("Not recorded")},
        "vulnerable": {"any": _("In a vulnerable group"), "none": _("In no vulnerable group")},
    }.get(by, {})


@roles_required(*READERS)
def effectiveness(ward_id):
    """Each indicator per round and breakdown with its change, and the change for people who completed
    a module against those who did not."""
    ward = load_or_abort(Ward, ward_id)
    by = request.args.get("by", "age_group")
    if by not in queries.BREAKDOWNS[1:]:
        by = "age_group"
    totals = queries.by_round(ward, current_user, "total")
    breakdown = queries.by_round(ward, current_user, by)
    buckets = sorted({bucket for _round, found in breakdown for bucket in found})
    return render_template(
        "rounds/effectiveness.html",
        ward=ward,
        totals=totals,
        breakdown=breakdown,
        buckets=buckets,
        by=by,
        names=_breakdown_names(by),
        breakdowns={
            "age_group": _("Age group"),
            "group": _("Residential group"),
            "sex": _("Sex"),
            "vulnerable": _("Vulnerable groups"),
        },
        compared=queries.COMPARED,
        labels=indicator_labels(),
        effect=queries.trained_effect(ward, current_user),
        teaches=queries.TEACHES,
        targets=plan_targets.for_ward(ward),
        viewer=current_user,
    )
