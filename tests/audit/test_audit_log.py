"""The audit log viewer: ward admins (their ward) and city admins (their city), filterable by person, action and date."""

from datetime import datetime, timedelta, timezone

from survey_app.audit.models import AuditEvent
from survey_app.extensions import db
from tests.conftest import login


def _event(ward, user, action, when):
    db.session.add(AuditEvent(ward_id=ward.id, user_id=user.id if user else None, action=action, created_at=when))


def test_filters_and_scope(client, world):
    now = datetime.now(timezone.utc)
    _event(world.ward_a, world.leader_1, "team.member_moved", now - timedelta(days=3))
    _event(world.ward_a, world.surveyor_1, "export.workbook", now)
    _event(world.ward_b, world.admin_b, "export.workbook", now)  # another ward
    db.session.commit()
    login(client, "admin_a")
    html = client.get("/audit").get_data(as_text=True)
    assert 'data-action="team.member_moved"' in html and 'data-action="export.workbook"' in html
    assert html.count('data-action="export.workbook"') == 1  # ward B's export is not shown
    html = client.get(f"/audit?user={world.leader_1.id}").get_data(as_text=True)
    assert "team.member_moved" in html and 'data-action="export.workbook"' not in html
    html = client.get("/audit?action=export").get_data(as_text=True)
    assert 'data-action="export.workbook"' in html and 'data-action="team.member_moved"' not in html
    since = (now - timedelta(days=1)).date().isoformat()
    html = client.get(f"/audit?since={since}").get_data(as_text=True)
    assert 'data-action="team.member_moved"' not in html
    until = (now - timedelta(days=2)).date().isoformat()
    html = client.get(f"/audit?until={until}").get_data(as_text=True)
    assert 'data-action="team.member_moved"' in html and 'data-action="export.workbook"' not in html


def test_bad_filter_values_get_a_message_not_an_error(client, world):
    login(client, "admin_a")
    response = client.get("/audit?since=not-a-date&user=abc")
    assert response.status_code == 200
    assert "field-error" in response.get_data(as_text=True)


def test_only_ward_admins(client, world):
    for user in ("leader_1", "surveyor_1", "city_viewer"):
        login(client, user)
        assert client.get("/audit").status_code == 403
        client.delete_cookie("survey_session")


def test_city_admin_reads_the_log_of_the_city_wards_and_of_the_city_people(client, world):
    now = datetime.now(timezone.utc)
    _event(world.ward_a, world.admin_a, "account.created", now)
    _event(world.ward_b, world.admin_b, "export.workbook", now)
    _event(world.ward_c, None, "export.csv", now)  # another city
    db.session.add(AuditEvent(ward_id=None, user_id=world.city_admin.id, action="city.targets_changed", created_at=now))
    db.session.commit()
    login(client, "city_admin")
    html = client.get("/audit").get_data(as_text=True)
    for action in ("account.created", "export.workbook", "city.targets_changed"):
        assert f'data-action="{action}"' in html
    assert 'data-action="export.csv"' not in html
    login(other := client.application.test_client(), "city_viewer")
    assert other.get("/audit").status_code == 403


def _visible_text(html: str) -> str:
    import re

    body = html.split('data-testid="audit-table"', 1)[1].split("</table>", 1)[0]
    return re.sub(r"<[^>]+>", " ", body)


def test_the_log_reads_as_sentences_with_links_and_no_codes_or_json(client, world):
    now = datetime.now(timezone.utc)
    db.session.add_all(
        [
            AuditEvent(
                ward_id=world.ward_a.id,
                user_id=world.admin_a.id,
                action="team.cards_issued",
                object_type="survey_team",
                object_id=str(world.team_1.id),
                detail={"count": 3},
                created_at=now,
            ),
            AuditEvent(
                ward_id=world.ward_a.id,
                user_id=world.admin_a.id,
                action="account.password_link_issued",
                object_type="user",
                object_id=str(world.surveyor_1.id),
                detail={"token_id": 9},
                created_at=now,
            ),
            AuditEvent(ward_id=world.ward_a.id, user_id=world.leader_1.id, action="login.succeeded", created_at=now),
            AuditEvent(
                ward_id=world.ward_a.id,
                user_id=world.admin_a.id,
                action="household.merged",
                object_type="households",
                object_id=str(world.hh_a1.id),
                detail={"merged": 7, "visits": 2},
                created_at=now,
            ),
            AuditEvent(
                ward_id=world.ward_a.id,
                user_id=None,
                action="something.new",
                object_type="mystery",
                object_id="4",
                created_at=now,
            ),
        ]
    )
    db.session.commit()
    login(client, "admin_a")
    html = client.get("/audit").get_data(as_text=True)
    text = " ".join(_visible_text(html).split())
    admin, surveyor = world.admin_a.full_name, world.surveyor_1.full_name
    assert f"{admin} đã in thẻ đăng nhập QR cho Tổ {world.team_1.number}" in text and "lần: 3" in text
    assert f"{admin} đã tạo đường dẫn đặt mật khẩu cho {surveyor}" in text
    assert f"{world.leader_1.full_name} đã đăng nhập" in text
    assert f"{admin} đã gộp một hộ khác vào {world.hh_a1.address}" in text and "lượt đến: 2" in text
    assert f'href="/teams/{world.team_1.id}"' in html and f'href="/accounts/{world.surveyor_1.id}"' in html
    for code in ("team.cards_issued", "login.succeeded", "survey_team", "token_id", "{", "something.new", "mystery"):
        assert code not in text, code
    options = html.split('name="action"', 1)[1].split("</select>", 1)[0]
    assert "login.succeeded" not in " ".join(__import__("re").sub(r'value="[^"]*"', "", options).split())


def test_the_city_admin_reads_no_residents_address_in_the_log(client, world):
    db.session.add(
        AuditEvent(
            ward_id=world.ward_a.id,
            user_id=world.admin_a.id,
            action="household.merged",
            object_type="households",
            object_id=str(world.hh_a1.id),
            created_at=datetime.now(timezone.utc),
        )
    )
    db.session.commit()
    login(client, "city_admin")
    text = _visible_text(client.get("/audit").get_data(as_text=True))
    assert world.hh_a1.address not in text and f"hộ #{world.hh_a1.id}" in text


def test_every_action_the_code_audits_has_a_sentence():
    import re
    from pathlib import Path

    from survey_app.audit.sentences import SENTENCES

    root = Path(__file__).resolve().parents[2] / "survey_app"
    pattern = re.compile(r"""(?:audit|audit_record|record|record_refusal|record_summarised|refusal)\(\s*"([a-z_]+\.[a-z_]+)\"""")
    found = {name for path in root.rglob("*.py") for name in pattern.findall(path.read_text(encoding="utf-8"))}
    found |= set(re.findall(r'refused_action = "([a-z_.]+)"', "".join(p.read_text(encoding="utf-8") for p in root.rglob("*.py"))))
    found |= {"export.csv"}
    assert len(found) > 60
    assert sorted(found - set(SENTENCES)) == []
