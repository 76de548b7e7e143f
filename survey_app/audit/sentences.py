"""The audit log in plain words: "Trần Thị Thu Hà đã cấp thẻ QR cho tổ 3", with links to the objects.

Each action has a sentence (`SENTENCES`, English msgids translated to Vietnamese) with `who` and
`what`. Each capability names its own objects: it registers a namer for its object types
(`register_namer`), which turns ids into words (and a link) for the person reading the log, within
what that person may see. An action or object type nobody named still reads as words, never a code.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable

import sqlalchemy as sa
from flask import url_for
from flask_babel import lazy_gettext as _l
from markupsafe import Markup, escape

from survey_app.extensions import db

#: object type -> namer(ids, viewer) -> {id (text): (words, url or None)}
_NAMERS: dict[str, Callable] = {}


def register_namer(object_types: tuple[str, ...], namer: Callable) -> None:
    for object_type in object_types:
        _NAMERS[object_type] = namer


SENTENCES = {
    "access.denied": _l("%(who)s was refused access to %(what)s"),
    "account.created": _l("%(who)s created the account %(what)s"),
    "account.deactivated": _l("%(who)s deactivated the account %(what)s"),
    "account.password_changed": _l("%(who)s changed their password"),
    "account.password_link_issued": _l("%(who)s issued a set-password link for %(what)s"),
    "account.password_link_refused": _l("%(who)s used a set-password link that does not work"),
    "account.password_set": _l("%(who)s set the password of %(what)s"),
    "account.reactivated": _l("%(who)s reactivated the account %(what)s"),
    "account.refused": _l("%(who)s was refused a change to the account %(what)s"),
    "account.updated": _l("%(who)s changed the account %(what)s"),
    "city.created": _l("%(who)s created the city %(what)s"),
    "collect.device_created": _l("%(who)s made an ODK Collect device for %(what)s"),
    "collect.device_revoked": _l("%(who)s revoked an ODK Collect device of %(what)s"),
    "city.targets_changed": _l("%(who)s changed the plan targets of %(what)s"),
    "enroll.rate_limited": _l("Too many enrolment codes that do not work came from one address"),
    "enroll.refused": _l("An enrolment QR code that does not work was used"),
    "entity.created": _l("%(who)s's record created %(what)s"),
    "entity.skipped": _l("%(who)s's record could not change %(what)s"),
    "entity.updated": _l("%(who)s's record updated %(what)s"),
    "export.progress_report": _l("%(who)s downloaded the progress report of %(what)s"),
    "export.csv": _l("%(who)s downloaded CSV files of %(what)s"),
    "export.media": _l("%(who)s downloaded the photos and files of %(what)s"),
    "export.refused": _l("%(who)s was refused an export of %(what)s"),
    "export.workbook": _l("%(who)s downloaded an Excel workbook of %(what)s"),
    "form.attached": _l("%(who)s attached a file to the form %(what)s"),
    "form.discarded": _l("%(who)s discarded the form draft %(what)s"),
    "form.published": _l("%(who)s published the form %(what)s"),
    "form.upload_refused": _l("%(who)s uploaded a form that was refused"),
    "form.uploaded": _l("%(who)s uploaded the form %(what)s"),
    "household.merge_refused": _l("%(who)s was refused a merge of %(what)s with another household"),
    "household.merged": _l("%(who)s merged another household into %(what)s"),
    "login.delayed": _l("Sign-ins to %(what)s were slowed after wrong passwords"),
    "login.enrolled": _l("%(who)s signed in on a phone with a QR card"),
    "login.failed": _l("A wrong password was typed for %(what)s"),
    "login.rate_limited": _l("Too many wrong passwords came from one address"),
    "login.succeeded": _l("%(who)s signed in"),
    "attendance.refused": _l("%(who)s took attendance that was refused"),
    "home_lesson.refused": _l("%(who)s recorded a lesson at home that was refused"),
    "module_check.refused": _l("%(who)s recorded a short check that was refused"),
    "class_session.added": _l("%(who)s added a session to a class"),
    "odata.pull": _l("%(who)s read the OData feed (Excel, Power BI) of %(what)s"),
    "odata.refused": _l("%(who)s was refused a read of the OData feed of %(what)s"),
    "odata.sign_in_refused": _l("An API token that does not work was used for the OData feed"),
    "odata.token_created": _l("%(who)s made an API token for Excel and Power BI for %(what)s"),
    "odata.token_revoked": _l("%(who)s revoked an API token of %(what)s"),
    "openrosa.device_refused": _l("An ODK Collect device that may no longer send was used by %(what)s"),
    "openrosa.submission_refused": _l("An ODK Collect form sent by %(what)s was refused"),
    "plan.class_locked": _l("%(who)s locked the class %(what)s"),
    "plan.class_split": _l("%(who)s split the class %(what)s"),
    "plan.classes_merged": _l("%(who)s merged classes into %(what)s"),
    "plan.generated": _l("%(who)s generated the training plan %(what)s"),
    "plan.learner_moved": _l("%(who)s moved a learner to another class"),
    "plan.locked": _l("%(who)s locked the training plan %(what)s"),
    "quarantine.accepted": _l("%(who)s fixed and stored %(what)s"),
    "quarantine.rejected": _l("%(who)s set aside %(what)s"),
    "refused.handled": _l("%(who)s closed %(what)s"),
    "refused.retried": _l("%(who)s tried %(what)s again"),
    "round.started": _l("%(who)s started a new survey round in %(what)s"),
    "self_survey.rate_limited": _l("Too many self-surveys came from one address"),
    "self_survey.refused": _l("A self-survey link that does not work was used"),
    "session.revoked": _l("%(who)s signed out a device of %(what)s"),
    "session.revoked_all": _l("%(who)s signed out every device of %(what)s"),
    "setup.refused": _l("%(who)s was refused a set-up step"),
    "submission.corrected": _l("%(who)s corrected %(what)s"),
    "submission.correction_refused": _l("%(who)s tried a correction of %(what)s that was refused"),
    "submission.fixed": _l("%(who)s fixed %(what)s after it was sent back"),
    "submission.paper_entered": _l("%(who)s keyed in %(what)s from a paper questionnaire"),
    "submission.refused": _l("%(who)s sent a record about %(what)s that was refused"),
    "submission.reviewed": _l("%(who)s reviewed %(what)s"),
    "support_event.refused": _l("%(who)s logged help that was refused"),
    "support_type.added": _l("%(who)s added the kind of help %(what)s"),
    "support_type.changed": _l("%(who)s changed the kind of help %(what)s"),
    "support_type.restored": _l("%(who)s brought back the kind of help %(what)s"),
    "support_type.retired": _l("%(who)s retired the kind of help %(what)s"),
    "team.assignment_changed": _l("%(who)s moved %(what)s to another team"),
    "team.auto_assigned": _l("%(who)s assigned the residential groups to the teams"),
    "team.cards_issued": _l("%(who)s issued QR sign-in cards for %(what)s"),
    "team.created": _l("%(who)s created %(what)s"),
    "team.group_split": _l("%(who)s split %(what)s between teams"),
    "team.import_confirmed": _l("%(who)s imported a list"),
    "team.import_refused": _l("%(who)s imported a list that was refused"),
    "team.leader_set": _l("%(who)s chose the leader of %(what)s"),
    "team.member_moved": _l("%(who)s moved %(what)s to another team"),
    "team.self_survey_link_created": _l("%(who)s made the self-survey link of %(what)s"),
    "team.self_survey_link_rotated": _l("%(who)s replaced the self-survey link of %(what)s"),
    "team.split": _l("%(who)s split the standing teams into survey teams"),
    "team.split_moved": _l("%(who)s moved the cut between the teams sharing %(what)s"),
    "team.standing_created": _l("%(who)s created the standing team %(what)s"),
    "team.tokens_revoked": _l("%(who)s revoked the QR cards of %(what)s"),
    "ward.created": _l("%(who)s created the ward %(what)s"),
    "ward.completion_rule_changed": _l("%(who)s changed how many sessions complete a module in %(what)s"),
    "ward.export_sensitive_changed": _l("%(who)s changed which sensitive answers leave %(what)s in exports"),
    "ward.quality_thresholds_changed": _l("%(who)s changed the data-quality thresholds of %(what)s"),
    "ward.refused": _l("%(who)s was refused a change to %(what)s"),
    "ward.settings_changed": _l("%(who)s changed the settings of %(what)s"),
}

#: The groups of actions, for the log's filter.
CATEGORIES = {
    "access": _l("Access refused"),
    "account": _l("Accounts"),
    "city": _l("City"),
    "enroll": _l("QR enrolment"),
    "entity": _l("Entity lists"),
    "export": _l("Exports"),
    "form": _l("Forms"),
    "household": _l("Households"),
    "login": _l("Sign-ins"),
    "odata": _l("OData feed (Excel, Power BI)"),
    "plan": _l("Training plan"),
    "quarantine": _l("Held records"),
    "refused": _l("Refused records"),
    "round": _l("Survey rounds"),
    "self_survey": _l("Self-survey"),
    "session": _l("Devices"),
    "setup": _l("Set-up"),
    "submission": _l("Submissions"),
    "support_event": _l("Support log"),
    "support_type": _l("Kinds of help"),
    "attendance": _l("Attendance"),
    "home_lesson": _l("Lessons at home"),
    "module_check": _l("Short checks"),
    "class_session": _l("Classes held"),
    "team": _l("Teams"),
    "ward": _l("Ward settings"),
}

#: Words for the kinds of objects no capability named (never the table's name).
_KINDS = {
    "user": _l("an account"),
    "users": _l("an account"),
    "account": _l("an account"),
    "user_session": _l("a device"),
    "enrollment_token": _l("a QR card"),
    "password_link": _l("a set-password link"),
    "import_batch": _l("an import"),
    "export_job": _l("an export"),
    "jobs": _l("a job"),
}

#: Detail keys worth a word, and what they are called; any other key stays out of the sentence.
_DETAILS = {
    "count": _l("times"),
    "version": _l("version"),
    "rows": _l("rows"),
    "files": _l("files"),
    "visits": _l("visits"),
    "submissions": _l("submissions"),
}


def _fallback(action: str):
    return _l("%(who)s did something in the system (%(what)s)") if "." in action else _l("%(who)s did something")


def action_words(action: str) -> str:
    """An action as words for the filter ("… signed in"), without anyone's name."""
    template = SENTENCES.get(action) or _fallback(action)
    return str(template) % {"who": "…", "what": "…"}


def category_words(prefix: str) -> str:
    return str(CATEGORIES.get(prefix) or _l("Other actions"))


def names_for(events, viewer) -> dict:
    """(object type, id) -> (words, url) for the events' objects, by each type's namer."""
    wanted = defaultdict(set)
    for event in events:
        if event.object_type and event.object_id is not None:
            wanted[event.object_type].add(str(event.object_id))
    found = {}
    for object_type, ids in wanted.items():
        namer = _NAMERS.get(object_type)
        named = namer(sorted(ids), viewer) if namer is not None else {}
        for object_id in ids:
            found[(object_type, object_id)] = named.get(object_id) or (_KINDS.get(object_type) or _l("an object"), None)
    return found


def sentence(event, who: str, names: dict) -> Markup:
    """The event as a sentence, its object linked when the reader may open it."""
    words, url = names.get((event.object_type, str(event.object_id)), (None, None)) if event.object_type else (None, None)
    what = escape(str(words)) if words is not None else escape(str(_l("something")))
    if url:
        what = Markup('<a href="%s">%s</a>') % (url, words)
    template = SENTENCES.get(event.action) or _fallback(event.action)
    text = escape(str(template)) % {"who": Markup("<strong>%s</strong>") % who, "what": what}
    return Markup(text)


def details(event) -> str:
    """The few details worth reading, in words ("lần: 3 · phiên bản: 2"); never raw JSON."""
    detail = event.detail if isinstance(event.detail, dict) else {}
    parts = [
        f"{_DETAILS[key]}: {value}"
        for key, value in detail.items()
        if key in _DETAILS and isinstance(value, (str, int, float)) and not isinstance(value, bool)
    ]
    return " · ".join(parts)


def namer_for(model, words: Callable, endpoint: str | None = None, key: str | None = None) -> Callable:
    """A namer of one model's rows: `words(row, viewer)` for each id, linked to `endpoint` (its id as `key`)."""

    def name(ids, viewer) -> dict:
        numbers = [int(i) for i in ids if str(i).isdigit()]
        rows = db.session.execute(sa.select(model).where(model.id.in_(numbers))).scalars() if numbers else []
        return {str(row.id): (words(row, viewer), url_for(endpoint, **{key: row.id}) if endpoint else None) for row in rows}

    return name
