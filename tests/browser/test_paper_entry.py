"""Paper questionnaires in Chromium: a team leader keys one in through the rendered form (stored once,
marked as paper), and the printable questionnaire prints to A4 with nothing wider than the page."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
import sqlalchemy as sa
from playwright.sync_api import expect

from survey_app.clock import local_today
from survey_app.collection.models import Channel, HouseholdStatus, Submission, Visit
from survey_app.extensions import db
from tests.browser.test_offline_survey import field, household_part, member, street  # noqa: F401  (fixture)
from tests.browser_fixtures import log_in

pytestmark = pytest.mark.browser


def test_a_team_leader_keys_in_a_paper_questionnaire(live_server, desk, world, street):
    log_in(desk, live_server, "leader_1", "/team")
    desk.get_by_role("link", name="Nhập phiếu giấy").first.click()
    desk.wait_for_url("**/paper")
    desk.select_option("#group", str(street["group"].id))
    desk.get_by_role("button", name="Xem các hộ").click()
    desk.select_option("#household", str(street["second"].id))
    desk.select_option("#surveyor", str(world.surveyor_1.id))
    day = local_today() - timedelta(days=3)
    desk.fill("#day", day.isoformat())
    desk.get_by_test_id("open-form").click()
    desk.wait_for_url("**/paper/form?**")
    expect(desk.get_by_test_id("paper-day")).to_have_text(day.strftime("%d/%m/%Y"))
    # The household's known answers are filled in, as on the phone.
    expect(field(desk, "a2_address").locator("input")).to_have_value(street["second"].address)
    household_part(desk, 1)
    desk.get_by_test_id("form-next").click()
    member(desk, 0, name=None, born=1950, sex="male")
    desk.get_by_test_id("form-review").click()

    # The first send reaches the server but its reply is lost: sent again, it is stored only once.
    def lose_reply(route):
        route.fetch()
        route.abort()

    desk.route("**/paper/submissions", lose_reply)
    desk.get_by_test_id("finalize").click()
    expect(desk.get_by_test_id("paper-msg")).to_contain_text("Chưa gửi được câu trả lời")
    desk.unroute("**/paper/submissions")
    desk.get_by_test_id("finalize").click()
    desk.wait_for_url(re.compile(r"/paper\?group=\d+&stored=\d+$"))
    expect(desk.get_by_test_id("paper-stored")).to_contain_text("Đã lưu phiếu giấy")

    db.session.expire_all()
    (submission,) = db.session.execute(sa.select(Submission)).scalars().all()
    assert submission.channel == Channel.PAPER
    assert submission.household_id == street["second"].id and submission.surveyor_id == world.surveyor_1.id
    assert submission.answers["members"][0]["b1_birth_year"] == 1950
    (visit,) = db.session.execute(sa.select(Visit)).scalars().all()
    assert visit.household.status == HouseholdStatus.DONE

    desk.get_by_test_id("paper-stored").get_by_role("link").click()
    desk.wait_for_url(f"**/review/{submission.id}")
    expect(desk.get_by_test_id("paper-mark")).to_have_text("Nhập từ phiếu giấy")
    expect(desk.get_by_test_id("paper-keyed")).to_contain_text(world.leader_1.full_name)
    expect(desk.get_by_test_id("paper-keyed")).to_contain_text(day.strftime("%d/%m/%Y"))


def test_a_future_date_is_refused_in_words(live_server, desk, world, street):
    log_in(desk, live_server, "leader_1", "/team")
    future = (local_today() + timedelta(days=2)).isoformat()
    desk.goto(
        f"{live_server}/paper/form?group={street['group'].id}&household={street['second'].id}"
        f"&surveyor={world.surveyor_1.id}&day={future}"
    )
    expect(desk.get_by_test_id("paper-error")).to_contain_text("Ngày phỏng vấn không thể sau hôm nay")


def test_the_paper_questionnaire_prints_on_a4(live_server, desk, world):
    log_in(desk, live_server, "admin_a", "/ward")
    desk.goto(f"{live_server}/forms")
    desk.get_by_test_id("paper-link").first.click()
    desk.wait_for_url("**/paper")
    expect(desk.get_by_test_id("page-title")).to_contain_text("Khảo sát kỹ năng số")
    desk.emulate_media(media="print")
    expect(desk.locator(".topbar")).to_be_hidden()
    expect(desk.locator(".paper-tools")).to_be_hidden()
    # Nothing is wider than the printable width of A4 (210 mm less the margins), measured in CSS pixels.
    desk.set_viewport_size({"width": 794, "height": 1123})  # 210 mm × 297 mm at 96 px per inch
    widest = desk.evaluate("""() => Math.max(...[...document.querySelectorAll('.paper, .paper *')]
        .map((node) => node.getBoundingClientRect().right))""")
    assert widest <= 794
    assert desk.evaluate("() => document.documentElement.scrollWidth") <= 794
    pdf = desk.pdf(format="A4", print_background=True)
    assert pdf.startswith(b"%PDF")
    pages = len(re.findall(rb"/Type\s*/Page[^s]", pdf))
    assert pages >= 6  # the household part, then one block (at least a page) per member
    text = pdf_text(pdf)
    if text is not None:
        assert "Chỉ hỏi nếu câu 6 là" in text.replace("\n", " ")


def pdf_text(pdf: bytes) -> str | None:
    """The PDF's text, when a PDF library is installed (else None: the page count is checked alone)."""
    try:
        from pypdf import PdfReader
    except ImportError:
        return None
    from io import BytesIO

    return "\n".join(page.extract_text() or "" for page in PdfReader(BytesIO(pdf)).pages)
