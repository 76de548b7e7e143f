"""Question types as classes: each knows the answer it accepts and its export columns.

`coerce(value)` returns the answer in its canonical JSON form or raises TypeMismatch; the
message shown is messages.TYPE[type_key]. The answer-set contract: select_one -> choice name,
select_multiple -> list of choice names, integer -> int, decimal -> float, text -> str, dates and
times -> ISO text, geopoint -> "lat lon [altitude [accuracy]]", range -> number, rank -> list of every
choice name in the order given, geotrace/geoshape -> points "lat lon alt acc" joined by ";" (as ODK
stores them; a shape ends on its first point), trigger/acknowledge -> "OK", barcode/hidden and the
text metadata -> str. `problem(item, value)` is a check that needs the question (a range's bounds).
"""

from __future__ import annotations

import math
import re
from datetime import date, datetime, time


class TypeMismatch(ValueError):
    """An answer of the wrong kind for its question."""


def _labels(texts: dict, fallback: str, schema) -> dict[str, str]:
    """The text in every language of the form (the name when there is none)."""
    return {code: schema.text(texts, code) or fallback for code in schema.language_codes}


class QuestionType:
    #: Whether the question takes an answer from the person filling the form.
    answered = True
    #: Key of the type message in messages.TYPE.
    type_key = "text"

    def coerce(self, value):
        return value

    def problem(self, item, value) -> tuple[str, dict] | None:
        """(messages.ANSWER key, its parameters) when a well-typed answer is still not allowed."""
        return None

    def export_columns(self, item, schema) -> list[dict]:
        """Columns of this question in an export (labels by language): by default one, its name."""
        return [{"name": item.name, "choice": None, "label": _labels(item.label, item.name, schema)}]


class Text(QuestionType):
    def coerce(self, value):
        if not isinstance(value, str):
            raise TypeMismatch
        return value


class Integer(QuestionType):
    type_key = "integer"

    def coerce(self, value):
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise TypeMismatch
        if isinstance(value, float) and not value.is_integer():
            raise TypeMismatch
        return int(value)


class Decimal(QuestionType):
    type_key = "decimal"

    def coerce(self, value):
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
            raise TypeMismatch
        return float(value)


class Range(Decimal):
    """A number on a scale from the parameters start to end in steps of step (pyxform's defaults 1, 10, 1)."""

    type_key = "range"

    def coerce(self, value):
        number = super().coerce(value)
        return int(number) if number.is_integer() else number

    def problem(self, item, value):
        start, end, step = item.number("start", 1), item.number("end", 10), item.number("step", 1)
        steps = (value - start) / step if step else 0
        if not min(start, end) <= value <= max(start, end) or abs(steps - round(steps)) > 1e-9:
            params = item.parameters
            return "range", {"start": params.get("start", "1"), "end": params.get("end", "10"), "step": params.get("step", "1")}
        return None


class SelectOne(QuestionType):
    type_key = "select_one"

    def coerce(self, value):
        if not isinstance(value, str) or not value:
            raise TypeMismatch
        return value


class SelectMultiple(QuestionType):
    type_key = "select_multiple"

    def coerce(self, value):
        if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
            raise TypeMismatch
        if len(set(value)) != len(value):
            raise TypeMismatch
        return value

    def export_columns(self, item, schema):
        """The chosen names, then one 0/1 column per choice (`name/choice`)."""
        columns = super().export_columns(item, schema)
        label = columns[0]["label"]
        for choice in schema.choices.get(item.list_name, []):
            names = _labels(choice.label, choice.name, schema)
            columns.append(
                {
                    "name": f"{item.name}/{choice.name}",
                    "choice": choice.name,
                    "label": {code: f"{label[code]}: {names[code]}" for code in label},
                }
            )
        return columns


class Rank(SelectMultiple):
    """Every choice, each once, in the order given (validation checks that none is left out)."""

    type_key = "rank"

    def export_columns(self, item, schema):
        return QuestionType.export_columns(self, item, schema)


class _IsoText(QuestionType):
    parse = staticmethod(date.fromisoformat)

    def coerce(self, value):
        if not isinstance(value, str):
            raise TypeMismatch
        try:
            self.parse(value)
        except ValueError as exc:
            raise TypeMismatch from exc
        return value


class Date(_IsoText):
    type_key = "date"
    parse = staticmethod(date.fromisoformat)


class Time(_IsoText):
    type_key = "time"
    parse = staticmethod(time.fromisoformat)


class DateTime(_IsoText):
    type_key = "datetime"

    @staticmethod
    def parse(value):
        if "T" not in value:
            raise ValueError("no time")
        return datetime.fromisoformat(value.replace("Z", "+00:00"))


class Geopoint(QuestionType):
    type_key = "geopoint"
    _SHAPE = re.compile(r"^-?\d+(\.\d+)?( -?\d+(\.\d+)?){1,3}$")

    def coerce(self, value):
        if not isinstance(value, str) or not self._SHAPE.match(value.strip()):
            raise TypeMismatch
        numbers = [float(part) for part in value.split()]
        if not (-90 <= numbers[0] <= 90 and -180 <= numbers[1] <= 180):
            raise TypeMismatch
        return value.strip()


class MediaFile(QuestionType):
    """image, audio, video and file questions: the answer is the file's name, as ODK keeps it; the file
    itself is sent beside the record (survey_app.collection.media)."""

    type_key = "file"
    NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$")

    def coerce(self, value):
        if not isinstance(value, str) or not self.NAME.match(value) or ".." in value:
            raise TypeMismatch
        return value


class Geotrace(QuestionType):
    """GPS points "lat lon [alt [acc]]" joined by ";": a line of at least 2, or a closed shape."""

    type_key = "geotrace"
    least = 2
    closed = False
    _point = Geopoint()

    def coerce(self, value):
        if not isinstance(value, str):
            raise TypeMismatch
        points = [self._point.coerce(part) for part in value.split(";")]
        if len(points) < self.least or (self.closed and points[0].split()[:2] != points[-1].split()[:2]):
            raise TypeMismatch
        return ";".join(points)


class Geoshape(Geotrace):
    """A closed line: at least 3 corners and the first point again at the end."""

    type_key = "geoshape"
    least = 4
    closed = True


class Acknowledge(QuestionType):
    type_key = "acknowledge"

    def coerce(self, value):
        if value != "OK":
            raise TypeMismatch
        return value


class Computed(QuestionType):
    """A calculation: its value comes from its expression, not from the person."""

    answered = False


class Note(QuestionType):
    answered = False

    def export_columns(self, item, schema):
        return []


class Structural(Note):
    """Groups and repeats hold questions; they have no column of their own."""


TYPES: dict[str, QuestionType] = {
    "text": Text(),
    "integer": Integer(),
    "decimal": Decimal(),
    "select_one": SelectOne(),
    "select_multiple": SelectMultiple(),
    "date": Date(),
    "time": Time(),
    "datetime": DateTime(),
    "geopoint": Geopoint(),
    "acknowledge": Acknowledge(),
    "trigger": Acknowledge(),
    "calculate": Computed(),
    "note": Note(),
    "image": MediaFile(),
    "audio": MediaFile(),
    "video": MediaFile(),
    "file": MediaFile(),
    "audit": MediaFile(),
    "range": Range(),
    "rank": Rank(),
    "geotrace": Geotrace(),
    "geoshape": Geoshape(),
    "barcode": Text(),
    "hidden": Text(),
    "group": Structural(),
    "repeat": Structural(),
    # Metadata the phone records by itself.
    "start": DateTime(),
    "end": DateTime(),
    "today": Date(),
    "deviceid": Text(),
    "username": Text(),
    "phonenumber": Text(),
    "email": Text(),
    "simserial": Text(),
    "subscriberid": Text(),
    "start-geopoint": Geopoint(),
}
