"""A small household form (the real one's shape: household part, a members repeat) for API tests."""

from __future__ import annotations

import hashlib
from pathlib import Path

from survey_app.extensions import db, utcnow
from survey_app.formdefs.models import FormStatus, FormVersion
from survey_app.formdefs.schema import FormSchema

FORM_ID = "household_survey"
VERSION = "test.1"


def _q(name, type_, label, **extra):
    return {"name": name, "type": type_, "label": {"vi": label, "en": label}, **extra}


SCHEMA = {
    "format": 1,
    "form_id": FORM_ID,
    "version": VERSION,
    "title": "Khảo sát hộ",
    "default_language": "vi",
    "languages": [{"code": "vi", "name": "Tiếng Việt (vi)"}, {"code": "en", "name": "English (en)"}],
    "instance_name": None,
    "fields": [
        _q("a1_group", "text", "Tổ dân phố", read_only=True),
        _q("a2_address", "text", "Địa chỉ", required=True),
        _q("a5_members", "integer", "Số nhân khẩu", required=True, constraint=". >= 1 and . <= 30"),
        _q("a6_internet", "select_one", "Internet", required=True, list_name="yes_no"),
        _q("a6b_why_not", "select_multiple", "Vì sao", list_name="why_not", relevant="${a6_internet} = 'no'"),
        {
            **_q("members", "repeat", "Thành viên"),
            "children": [
                _q("b0_name", "text", "Họ tên", required=True),
                _q("b1_birth_year", "integer", "Năm sinh", required=True, constraint=". >= 1900 and . <= 2010"),
                _q("b2_sex", "select_one", "Giới tính", required=True, list_name="sex"),
                _q("age", "calculate", "", calculate="2025 - ${b1_birth_year}"),
            ],
        },
    ],
    "choices": {
        "yes_no": [
            {"name": "yes", "label": {"vi": "Có", "en": "Yes"}, "extra": {}},
            {"name": "no", "label": {"vi": "Không", "en": "No"}, "extra": {}},
        ],
        "why_not": [{"name": n, "label": {"vi": n, "en": n}, "extra": {}} for n in ("no_need", "cost", "other")],
        "sex": [{"name": n, "label": {"vi": n, "en": n}, "extra": {}} for n in ("male", "female", "other")],
    },
}


def publish_test_form(ward) -> FormVersion:
    """Publish the small form as the ward's own upload, so the real form lookup finds it."""
    schema = FormSchema.from_dict(SCHEMA)
    row = FormVersion(
        ward_id=ward.id,
        form_id=FORM_ID,
        version=VERSION,
        title=schema.title,
        status=FormStatus.PUBLISHED,
        filename="test.xlsx",
        source=b"test",
        source_sha256=hashlib.sha256(repr(SCHEMA).encode()).hexdigest(),
        schema=schema.to_dict(),
        xform="<h:html/>",
        warnings=[],
        published_at=utcnow(),
    )
    db.session.add(row)
    db.session.flush()
    return row


def answers(group_code="TDP01", members=None, **overrides) -> dict:
    """A valid answer set for the small form."""
    members = (
        members
        if members is not None
        else [
            {"b0_name": "Nguyễn Văn An", "b1_birth_year": 1971, "b2_sex": "male", "age": 54},
            {"b0_name": "Thành viên 2", "b1_birth_year": 1972, "b2_sex": "female", "age": 53},
        ]
    )
    return {
        "a1_group": group_code,
        "a2_address": "Số 12, ngõ 3, đường Lê Lợi",
        "a5_members": len(members),
        "a6_internet": "yes",
        "members": members,
        **overrides,
    }


STRUCTURE_EXAMPLE = Path(__file__).resolve().parents[1] / "formdefs" / "examples" / "nested_repeats.md"


def publish_structure_form(world):
    """The nested-repeats example form (tests/formdefs/examples) uploaded and published as ward A's
    household form, version 2099.1 (what the phones and the self-survey page then hand out)."""
    from survey_app.formdefs import operations

    text = STRUCTURE_EXAMPLE.read_text(encoding="utf-8").replace("| | structure_test | 1 |", "| | household_survey | 2099.1 |")
    draft, loaded = operations.upload(world.ward_a.id, world.admin_a, "structure.md", text.encode())
    assert draft is not None, [str(e) for e in loaded.errors]
    assert operations.publish(draft, world.admin_a) is None
    db.session.commit()
    return draft
