"""The base of every form: Flask-WTF, with WTForms' own messages ("This field is required.",
"Not a valid choice.") in the interface language. WTForms ships no Vietnamese, so its messages go
through our catalog instead of its own."""

from __future__ import annotations

from datetime import date, datetime

from flask_babel import gettext, ngettext
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import StringField

#: WTForms' built-in messages that people meet, marked so the catalog carries their Vietnamese.
BUILTIN_MESSAGES = (
    _l("This field is required."),
    _l("Not a valid choice."),
    _l("Invalid Choice: could not coerce."),
    _l("Not a valid integer value."),
    _l("Not a valid decimal value."),
    _l("Not a valid float value."),
    _l("Not a valid date value."),
    _l("Not a valid datetime value."),
    _l("Not a valid time value."),
    _l("Field must be between %(min)d and %(max)d characters long."),
    _l("Number must be at least %(min)s."),
    _l("Number must be at most %(max)s."),
    _l("Number must be between %(min)s and %(max)s."),
    _l("Field must be equal to %(other_name)s."),
    _l("Invalid input."),
)


class _CatalogTranslations:
    """WTForms asks this object to translate its messages; it asks Flask-Babel."""

    def gettext(self, string: str) -> str:
        return gettext(string)

    def ngettext(self, singular: str, plural: str, n: int) -> str:
        return ngettext(singular, plural, n)


_TRANSLATIONS = _CatalogTranslations()


class Form(FlaskForm):
    """FlaskForm whose built-in validation messages speak the user's language."""

    class Meta:
        def get_translations(self, form):
            return _TRANSLATIONS


class LocalDateField(StringField):
    """A day typed as dd/mm/yyyy (the Vietnamese way, whatever the browser's language; yyyy-mm-dd is
    read too); empty is None. Shown as dd/mm/yyyy in a text box with a number keyboard."""

    FORMATS = ("%Y-%m-%d", "%d/%m/%Y")

    def process_formdata(self, valuelist):
        if not valuelist:
            return
        self.data = None
        text = valuelist[0].strip()
        if not text:
            return
        for pattern in self.FORMATS:
            try:
                self.data = datetime.strptime(text, pattern).date()
                return
            except ValueError:
                continue
        raise ValueError(str(_l("“%(value)s” is not a date: pick it in the calendar or type it as dd/mm/yyyy.", value=text)))

    def _value(self):
        if self.raw_data:
            return self.raw_data[0]
        return self.data.strftime("%d/%m/%Y") if isinstance(self.data, date) else ""

    def __call__(self, **kwargs):
        kwargs.setdefault("inputmode", "numeric")
        kwargs.setdefault("placeholder", "dd/mm/yyyy")
        kwargs.setdefault("autocomplete", "off")
        return super().__call__(**kwargs)
