"""The online self-survey: a resident opens a group's link (its QR poster), fills in their own household.

Anonymous, rate-limited per address and per link, and it shows nothing stored: the page only
receives the form and sends answers; the answer to a send is a receipt without any data.
"""

from __future__ import annotations

import sqlalchemy as sa
from flask import abort, jsonify, make_response, render_template
from flask_babel import format_date
from flask_babel import gettext as _

from survey_app import ratelimits, tokens
from survey_app.audit.operations import record_summarised
from survey_app.clock import local_today
from survey_app.collection import formlink
from survey_app.collection.api import HOUSEHOLD_FORM, read_json_body
from survey_app.collection.records import RecordError, max_record_bytes
from survey_app.errors import error_response
from survey_app.extensions import db, limiter
from survey_app.sync.core import Submitter, ingest
from survey_app.wards.models import ResidentialGroup, RetiredSelfSurveyLink

#: What a resident learns from a send: whether it arrived, and which answers need fixing.
PUBLIC_RECEIPT = ("uuid", "status", "result", "message", "errors")


def _open_group(token: str) -> ResidentialGroup:
    """The group whose current link this is, while its ward's survey period runs.

    404 for a token never issued; 410, with a page saying why, for a link the ward admin replaced
    (an old poster) or one whose survey period has ended. Refusals are summed up in the audit log
    (one row per address and hour), without the token.
    """
    group = None
    if token and len(token) <= 64:
        group = db.session.execute(
            sa.select(ResidentialGroup).where(ResidentialGroup.self_survey_token == token)
        ).scalar_one_or_none()
        if group is None:
            retired = db.session.execute(
                sa.select(RetiredSelfSurveyLink).where(RetiredSelfSurveyLink.token_hash == tokens.token_hash(token))
            ).scalar_one_or_none()
            if retired is not None:
                _refuse("replaced", retired.ward_id, retired.residential_group_id)
                abort(
                    make_response(
                        error_response(
                            410,
                            _(
                                "This survey link has been replaced. Please scan the QR code on the new poster of your "
                                "residential group, or ask the ward office."
                            ),
                        )
                    )
                )
    if group is None:
        _refuse("unknown", None, None)
        abort(404)
    ends_on = group.ward.survey_ends_on
    if ends_on is not None and local_today() > ends_on:
        _refuse("ended", group.ward_id, group.id)
        abort(
            make_response(
                error_response(
                    410,
                    _(
                        "The online survey of %(ward)s ended on %(date)s. Thank you.",
                        ward=group.ward.name,
                        date=format_date(ends_on, "long"),
                    ),
                )
            )
        )
    return group


def _refuse(kind: str, ward_id: int | None, group_id: int | None) -> None:
    record_summarised("self_survey.refused", kind=kind, ward_id=ward_id, object_type="residential_group", object_id=group_id)


def self_survey(token):
    """The resident's page: the group's current household form, filled in and sent online."""
    group = _open_group(token)
    form = formlink.current_form(group.ward_id, HOUSEHOLD_FORM)
    return render_template("collection/self_form.html", group=group, form=form, token=token)


def self_survey_form(token):
    """The form the resident fills in (the same JSON the phones use)."""
    group = _open_group(token)
    form = formlink.current_form(group.ward_id, HOUSEHOLD_FORM)
    if form is None:
        return error_response(404, _("The survey form is not available yet."))
    return jsonify(formlink.client_json(form))


@limiter.limit(
    ratelimits.self_survey_limit,
    key_func=ratelimits.self_survey_key,
    on_breach=ratelimits.refusal("self_survey.rate_limited", ratelimits.self_survey_refused_message),
)
def self_survey_submit(token):
    """Store a resident's answers as an online submission of the group, in the ward's review queue.

    Every send counts against its address *for this group's link* only, so junk sent to one link
    closes neither the others nor this one for other residents.
    """
    group = _open_group(token)
    try:
        payload = read_json_body(max_record_bytes() + 1024)
    except RecordError as error:
        return error_response(error.status, error.message)
    receipt = ingest(payload, Submitter.for_group(group))
    db.session.commit()
    body = {key: value for key, value in receipt.as_json().items() if key in PUBLIC_RECEIPT}
    return jsonify(body), receipt.status
