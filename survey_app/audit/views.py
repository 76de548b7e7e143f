"""The audit log viewer for ward staff (their ward) and city admins (their city)."""

from __future__ import annotations

from flask import render_template, request
from flask_babel import gettext as _
from flask_login import current_user

from survey_app.access import roles_required
from survey_app.accounts.models import Role
from survey_app.audit import queries, sentences
from survey_app.audit.forms import AuditFilterForm


@roles_required(Role.WARD_ADMIN, Role.CITY_ADMIN)
def audit_log():
    form = AuditFilterForm(request.args)
    form.user.choices = [("", _("Everyone"))] + [(u.id, u.full_name) for u in queries.actors(current_user)]
    names = queries.actions(current_user)
    prefixes = sorted({name.split(".")[0] for name in names}, key=sentences.category_words)
    form.action.choices = (
        [("", _("All actions"))]
        + [(p, _("All: %(group)s", group=sentences.category_words(p))) for p in prefixes]
        + sorted(((a, sentences.action_words(a)) for a in names), key=lambda choice: choice[1])
    )
    valid = form.validate()
    events = queries.audit_page(
        current_user,
        user_id=form.user.data if valid else None,
        action=(form.action.data or "") if valid else "",
        since=form.since.data if valid else None,
        until=form.until.data if valid else None,
        page=max(form.page.data or 1, 1) if valid else 1,
    )
    names = queries.user_names(e.user_id for e in events.items)
    objects = sentences.names_for(events.items, current_user)
    rows = [
        {
            "event": e,
            "sentence": sentences.sentence(e, names.get(e.user_id) or _("Someone"), objects),
            "details": sentences.details(e),
        }
        for e in events.items
    ]
    return render_template("audit/log.html", form=form, events=events, rows=rows, valid=valid)
