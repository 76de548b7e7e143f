"""Every message of the form engine, as translatable English msgids.

`render(message, lang, **params)` words one in a given language (answers are validated in the
user's language, not always the request's); outside an app context it gives the English msgid.
"""

from __future__ import annotations

from flask import current_app, has_app_context, has_request_context
from flask_babel import force_locale
from flask_babel import lazy_gettext as _l

from survey_app.uploads import MESSAGES

#: Problems with an answer set, by error code (the contract of `validation.validate`).
ANSWER = {
    "required": _l("An answer is required."),
    "constraint": _l("This answer is not allowed."),
    "not_relevant": _l("This question does not apply here, so it must be left empty."),
    "not_in_form": _l("This question is not in the form."),
    "unknown_choice": _l("'%(value)s' is not one of the choices."),
    "too_many": _l("Choose at most %(max)d answers."),
    "repeat_count": _l("This part must have %(count)d entries."),
    "range": _l("Choose a value from %(start)s to %(end)s, in steps of %(step)s."),
    "answers": _l("The answers must be a set of named values."),
    "entry": _l("Each entry must be a set of named values."),
}

#: What each question type expects, shown with the code "type".
TYPE = {
    "text": _l("Enter text."),
    "integer": _l("Enter a whole number."),
    "decimal": _l("Enter a number."),
    "select_one": _l("Choose one answer from the list."),
    "select_multiple": _l("Choose answers from the list, each at most once."),
    "date": _l("Enter a date as YYYY-MM-DD."),
    "time": _l("Enter a time as HH:MM."),
    "datetime": _l("Enter a date and time."),
    "geopoint": _l("Enter a GPS point: latitude and longitude."),
    "acknowledge": _l("Confirm with OK."),
    "range": _l("Choose a number on the scale."),
    "rank": _l("Put every choice in order, each once."),
    "geotrace": _l("Enter a line of at least 2 GPS points (latitude longitude), separated by ;."),
    "geoshape": _l(
        "Enter a closed shape: at least 3 GPS points (latitude longitude) separated by ;, ending with the first point again."
    ),
    "repeat": _l("Give a list of entries."),
    "file": _l("Attach a file (its name: letters, digits, . - _)."),
}

#: Problems found when a form is loaded, by code; each names the sheet, row and column.
LOAD = {
    "not_xlsform": _l(
        "The file could not be read as an XLSForm. Save it in Excel as .xlsx (or .xls, or CSV UTF-8) and try again."
    ),
    "csv_encoding": _l('The file %(file)s is not UTF-8 text (byte %(position)d): in Excel, save it as "CSV UTF-8".'),
    "ignored_sheet": _l("The sheet '%(title)s' is not part of an XLSForm: it is ignored."),
    "no_survey": _l("The workbook has no 'survey' sheet."),
    "duplicate_header": _l("The column '%(header)s' is twice in the first row: rename or remove one of them."),
    "ignored_column": _l("The column '%(header)s' is not an XLSForm column: it is ignored."),
    "unsupported_column": _l("The column '%(header)s' is not supported by this app."),
    "untranslatable": _l("The column '%(header)s' cannot have a language."),
    "unencrypted": _l(
        "Only ODK Collect encrypts answers with the public_key: answers sent from the app's own "
        "phone are stored unencrypted, like every other form's."
    ),
    "ignored_setting": _l("'%(header)s' is used only by ODK Collect: the app's own phone ignores it."),
    "missing_type": _l("This row has no question type."),
    "comment_row": _l("This row has no type, name or label: it is skipped."),
    "unknown_type": _l("Unknown question type '%(type)s'."),
    "unsupported_type": _l("The question type '%(type)s' is not supported by this app."),
    "missing_name": _l("This row has no name."),
    "bad_name": _l("'%(name)s' is not a valid name: use letters, digits and _, starting with a letter."),
    "duplicate_name": _l("The name '%(name)s' is already used on row %(other)d."),
    "missing_list": _l("The choice list '%(list)s' is not on the choices sheet."),
    "missing_external_list": _l("The choice list '%(list)s' is not on the external_choices sheet."),
    "unmatched_end": _l("'%(type)s' has no matching begin."),
    "unclosed": _l("'%(type)s' is never closed with an end."),
    "yes_no": _l("Write yes or no here."),
    "rank_list": _l("A rank question needs a choice list: write rank and the list's name, e.g. rank colours."),
    "bad_default": _l("The default '%(value)s' is not a possible answer to this question."),
    "audit_partial": _l(
        "The audit log '%(name)s' records when the form was started, each screen opened and the "
        "finalize; this app records no location, changed values or user in it."
    ),
    "unknown_field": _l("${%(name)s} is not a question in this form."),
    "outside_repeat": _l(
        "${%(name)s} is inside the repeat '%(repeat)s': outside it, read its answers with "
        "indexed-repeat(), count(), sum(), max(), min() or join()."
    ),
    "not_a_question": _l("${%(name)s} is a group or repeat, not a question."),
    "cycle": _l("The calculation depends on itself through ${%(name)s}."),
    "bad_regex": _l("The pattern in regex() is not valid: %(detail)s."),
    "unknown_filter_column": _l(
        "The choice filter uses '%(name)s', which is not a column of the choices sheet: it is read as empty."
    ),
    "unknown_external_filter_column": _l(
        "The choice filter uses '%(name)s', which is not a column of the external_choices sheet: it is read as empty."
    ),
    "filter_axis": _l(
        "The choice filter cannot read the column '%(name)s': XPath reads '::' as an axis. Give the "
        "column a name without '::' on the choices sheet."
    ),
    "bad_form_id": _l("The form_id '%(form_id)s' may not contain / and has at most 80 characters."),
    "instance_name_empty": _l("The instance_name '%(name)s' is read as a path to no question: records get no name from it."),
    "bad_version": _l("The version '%(version)s' may not contain / and has at most 40 characters."),
    "pyxform": _l("The form converter (pyxform) refused the form: %(detail)s"),
    "clash": _l(
        "Version %(version)s of the form %(form_id)s is already published. Give the new form another "
        "version in the settings sheet."
    ),
    "ignored_type": _l("The question type '%(type)s' is left out: the phone does not record in the background."),
    "osm_ignored": _l("The question type '%(type)s' (OpenMapKit) is left out: only ODK Collect with OpenMapKit records it."),
    "osm_sheet": _l("The sheet '%(title)s' holds OpenMapKit's tags, which only ODK Collect uses: it is ignored."),
    # Files attached beside the form (media labels, CSV, XML and GeoJSON data files), each naming the file.
    "attachment_name": _l("The attached file name '%(file)s' is not allowed: use letters, digits, spaces, . - _ and no folder."),
    "attachment_type": _l("The attached file '%(file)s' is not a picture, sound, video, CSV, XML or GeoJSON file."),
    "attachment_too_large": _l("The attached file '%(file)s' is larger than %(mb)s MB."),
    "attachment_empty": _l("The attached file '%(file)s' is empty."),
    "attachment_encoding": _l(
        "The attached file '%(file)s' is not UTF-8 text. In Excel, save it as "
        '"CSV UTF-8 (Comma delimited)" and attach it again.'
    ),
    "attachment_header": _l("The attached file '%(file)s' needs a first row of distinct column names."),
    "attachment_rows": _l("The attached file '%(file)s' has more than %(count)s rows."),
    "attachment_unreadable": _l("The attached file '%(file)s' cannot be read: %(detail)s"),
    "attachment_geojson": _l("The attached file '%(file)s' is not a GeoJSON FeatureCollection."),
    "attachment_columns": _l("The attached file '%(file)s' has no column '%(column)s', which the form uses."),
    "attachment_unused": _l("The attached file '%(file)s' is not used by the form: it is left out."),
    "attachment_missing": _l("The form uses the file '%(file)s': attach it before publishing."),
    "files_missing": _l("Attach these files before publishing: %(files)s."),
    # The entities sheet and the save_to column (ODK Entities).
    "entity_list_missing": _l("This row of the entities sheet has no list_name."),
    "entity_list_name": _l(
        "'%(name)s' is not a valid entity list name: use letters, digits, _ and -, starting "
        "with a letter, without '.' and not starting with '__'."
    ),
    "entity_list_twice": _l("The entity list '%(name)s' is already on row %(other)d of the entities sheet."),
    "entity_label": _l("The entity list '%(name)s' creates entities: give their label (an expression) here."),
    "entity_id_needed": _l("The entity list '%(name)s' updates entities: give the entity_id of the one to update."),
    "entity_expression_empty": _l(
        "'%(name)s' is read as a path to no question: it gives no value (write text in "
        "quotes, or refer to a question as ${name})."
    ),
    "entity_update_order": _l(
        "Updates to the entity list '%(name)s' are applied in the order the records arrive, "
        "the last one winning: unlike ODK Central, the app does not flag conflicting updates."
    ),
    "save_to_no_entities": _l("save_to names an entity property, but the form has no entities sheet."),
    "save_to_which_list": _l("The form has several entity lists: write save_to as list#%(name)s."),
    "save_to_unknown_list": _l("The entity list '%(list)s' is not on the entities sheet."),
    "save_to_reserved": _l(
        "'%(name)s' is a reserved name: an entity property may not be called name or label, nor start with '__'."
    ),
    "save_to_bad": _l("'%(name)s' is not a valid entity property name: use letters, digits, _ and -, starting with a letter."),
    "save_to_not_question": _l("'%(name)s' is not a question: only an answer can be saved to an entity property."),
    "save_to_repeat": _l(
        "'%(name)s' is inside the repeat '%(repeat)s': this app saves entity properties from questions outside repeats only."
    ),
    "save_to_twice": _l("The entity property '%(name)s' is already saved on row %(other)d."),
    "household_property_ignored": _l("A household keeps only %(known)s: the property '%(name)s' is not stored."),
    "entity_attachment_ignored": _l(
        "'%(file)s' is the ward's entity list: its rows come from the server, the attached file is left out."
    ),
    # Expression errors, by the code the parser gives (also used by static/js/form-expr.js).
    "expr_empty": _l("The expression is empty."),
    "expr_syntax": _l("Unexpected %(token)s at character %(position)d of the expression."),
    "expr_end": _l("The expression ends too early: a value or a closing bracket is missing."),
    "expr_unterminated": _l("Text in quotes is not closed (character %(position)d)."),
    "expr_bad_char": _l("Unexpected character %(char)s at character %(position)d."),
    "expr_path": _l("Attributes (@), unions (|) and // are not supported in paths (character %(position)d)."),
    "expr_bare_name": _l(
        "'%(name)s' is not understood (character %(position)d): refer to a question as ${%(name)s} and put text in quotes."
    ),
    "expr_bad_ref": _l("'${%(name)s}' is not a valid question reference."),
    "expr_unknown_function": _l("Unknown function %(name)s()."),
    "expr_arity": _l("The function %(name)s() takes %(expected)s arguments, not %(given)d."),
    # A file past one of the upload limits (survey_app.uploads), by the limit's code.
    **{f"limit_{code}": message for code, message in MESSAGES.items()},
}


def render(message, lang: str | None = None, **params) -> str:
    """The message in `lang` (or the request's locale), with its %(name)s parameters filled in."""
    if lang is None and not has_request_context() and has_app_context():
        lang = current_app.config["BABEL_DEFAULT_LOCALE"]  # e.g. a CLI command: no user, no session
    if lang is None:
        text = str(message)
    else:
        with force_locale(lang):
            text = str(message)
    return text % params if params else text
