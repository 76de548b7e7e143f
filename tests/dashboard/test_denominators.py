"""Every indicator's numerator and denominator, held against values computed by hand on a small ward.

Household indicators count households (the past bug: "Hộ có Internet" counted 19,225 of 22,009
adults in a ward of 8,473 households); person indicators count the adults (members aged 15 or over,
part B of the form) who were asked the question. The ward below goes in through the real store path
(the phone's POST /api/submissions), the worker derives it from the outbox (run_jobs), and each
figure is then read where people read it: `indicators.aggregate` over the derived rows, the kept
figures the ward dashboard sums (`queries.ward_indicators`), the JSON API, the group tallies of the
city roll-up (headline indicators) and the workbook's summary sheet.

The ward: ward A of the test world, survey year 2025 (interviews of 20 August 2025).

    group   household  members (in the order of the form's repeat; the first is the household's lead row)
    TDP01   H1 hh_a1   P1, P2          interviewed twice: the second interview replaces the first
    TDP01   H3         P3, P4
    TDP01   H6         (one member)    rejected in review: counts nowhere
    TDP02   H2 hh_a2   P6, P5, P7      (P6 first: the lead of H2 is a woman)
    TDP02   H4         P8              lives alone
    TDP02   H5         P9, P10, P11

Households (a6 home Internet, a8 devices, a9 poor; household essential five = one member or more):

    H1  a6 yes  computer, smartphone, smart_tv  not poor   ess5 yes (P1)
    H2  a6 yes  smartphone, tablet              near-poor  ess5 yes (P6)
    H3  a6 no   smartphone                      poor       ess5 no
    H4  a6 yes  none                            not poor   ess5 no
    H5  a6 no   computer, smartphone            not poor   ess5 yes (P9, P11)

Adults (age = 2025 - birth year; level by the scoring rules from the skills marked yes, see each
member below; "-" = v6 left unanswered, it is optional; gaps from the rules' modules):

    P   hh grp   age band  sex     b8     level ess5 v1     v2    v3        v4  v5       v6  b6    b7  l1        gaps
    P1  H1 TDP01 40 40_59  male    daily  L5    yes  level2 self  self      yes no       yes smart yes m8        m8
    P2  H1 TDP01 35 25_39  female  daily  L4    no   level2 self  helped    yes targeted no  smart no  m3 m5     m3 m5
    P3  H3 TDP01 77 75_plus male   >3mo   L0    no   none   -     in_person no  no       -   basic no  m1        m1-m6
    P4  H3 TDP01 20 15_24  female  3mo    L3    no   level1 help  no_need   yes lost     unk smart yes none      m2 m3 m5
    P5  H2 TDP02 65 60_74  male    daily  L1    no   level2 help  helped    no  targeted no  smart no  m1 m2     m1-m6
    P6  H2 TDP02 37 25_39  female  daily  L2    yes  level2 self  self      yes no       yes smart no  m6 m7     m1 m5 m6 m7
    P7  H2 TDP02 17 15_24  male    daily  L5    no   none   -     no_need   no  no       -   none  yes m8        m1 m2 m3 m4 m8
    P8  H4 TDP02 80 75_plus female never  L0    no   level1 help  helped    no  lost     no  basic no  none      m1-m6
    P9  H5 TDP02 50 40_59  male    daily  L3    yes  level2 self  self      yes no       yes smart yes m7        m5 m7
    P10 H5 TDP02 47 40_59  female  3mo    L3    no   level2 self  no_need   no  targeted -   smart no  m4 m5     m3 m4 m5
    P11 H5 TDP02 22 15_24  other   daily  L4    yes  level2 self  self      yes no       no  smart yes m5 m8     m8

Head counts: 11 adults, 5 households, 2 proxies (P3, P8).
    TDP01: 4 adults (P1-P4), 2 households (H1, H3), 1 proxy (P3).
    TDP02: 7 adults (P5-P11), 3 households (H2, H4, H5), 1 proxy (P8).
    male: 5 adults (P1 P3 P5 P7 P9); female: 5 (P2 P4 P6 P8 P10); other: 1 (P11).
    A household indicator under a breakdown by a person's attribute (sex, age band) counts the
    household in its lead's cell (its first adult): male H1 H3 H5 (3), female H2 H4 (2), other none (0).
"""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from survey_app.accounts.models import User
from survey_app.collection.models import ReviewStatus, Submission
from survey_app.collection.operations import review_submission
from survey_app.dashboard import queries
from survey_app.dashboard.indicators import HEADLINE, INDICATORS, aggregate, rebuild_indicators, tallies_by_ward
from survey_app.dashboard.models import IndicatorTally, PersonIndicator
from survey_app.extensions import db
from survey_app.sync.outbox import OutboxEntry
from tests.collection.conftest import ApiClient, record
from tests.conftest import login, run_jobs
from tests.exports.helpers import export, open_workbook, records
from tests.factories import make_household

SURVEY_YEAR = 2025
SKILLS = (
    "s1_search",
    "s2_verify",
    "s3_videocall",
    "s4_attach",
    "s5_groups",
    "s6_copy",
    "s7_create",
    "s8_spreadsheet",
    "s9_code",
    "s10_install",
    "s11_connect",
    "s12_shop",
    "s13_learn",
    "s14_security",
    "s15_privacy",
)
WG = ("b4_seeing", "b4_hearing", "b4_walking", "b4_remembering", "b4_selfcare", "b4_communicating")


def _age_group(age: int) -> str:
    """The form's age_group calculate."""
    return next((label for top, label in ((24, "15_24"), (39, "25_39"), (59, "40_59"), (74, "60_74")) if age <= top), "75_plus")


def member(
    name,
    born,
    sex,
    occupation,
    *,
    phone,
    computer,
    internet,
    skills=(),
    v1,
    v2=None,
    v3,
    v4,
    v5,
    v6=None,
    topics,
    respondent="self",
    difficulty=None,
    vulnerable=None,
) -> dict:
    """One member's answers as the phone sends them: the skills asked only of recent Internet users
    (s8, s9 only of computer users), each "yes" if named in `skills`; v6 left out when None."""
    age = SURVEY_YEAR - born
    answers = {
        "b0_name": name,
        "b0_respondent": respondent,
        "b1_birth_year": born,
        "age": age,
        "age_group": _age_group(age),
        "b2_sex": sex,
        "b3_occupation": occupation,
        **{domain: "none" for domain in WG},
        **(difficulty or {}),
        "b6_phone": phone,
        "b7_computer": computer,
        "b8_internet": internet,
        "v1_vneid": v1,
        "v3_public_services": v3,
        "v4_cashless": v4,
        "v5_scam": v5,
        "l1_topics": topics,
    }
    answers["disability"] = "yes" if any(answers[d] in ("a_lot", "cannot") for d in WG) else "no"
    if vulnerable:
        answers["b5_vulnerable"] = vulnerable
    if internet in ("last_3_months", "daily"):
        asked = [s for s in SKILLS if computer == "yes" or s not in ("s8_spreadsheet", "s9_code")]
        answers.update({s: "yes" if s in skills else "no" for s in asked})
    if v2 is not None:
        answers["v2_vneid_use"] = v2
    if v6 is not None:
        answers["v6_digital_signature"] = v6
    if topics != ["none"]:
        answers.update(l2_time=["weekend"], l3_place="community_house", l4_format="small_group")
    return answers


def household(group_code, address, head, members, *, internet, devices, poor="no") -> dict:
    answers = {
        "a1_group": group_code,
        "a2_address": address,
        "a3_head_name": head,
        "a5_members": len(members),
        "a6_internet": internet,
        "a8_devices": devices,
        "a9_poor": poor,
        "a10_home_support": "no",
        "members": members,
    }
    if internet == "yes":
        answers["a7_connection"] = ["fibre_wifi"]
    else:
        answers["a6b_why_not"] = ["cost"]
    return answers


ALL_SKILLS = set(SKILLS)
# Areas (ITU): information s1 s2; communication s3 s4 s5; content s6 s7 s8 s9; safety s14 s15;
# problem solving s10 s11 s12 s13 and v4. Per area: 0 items none, 1 basic, 2+ above basic.
# L5 all five above basic; L4 all five at least basic; L3 four; L2 two or three; L1 fewer; L0 not
# assessed (b8 never or more than 3 months ago).
P1 = member(
    "Nguyễn Văn An",
    1985,
    "male",
    "civil_servant",
    phone="smartphone",
    computer="yes",
    internet="daily",
    skills=ALL_SKILLS,  # every area above basic: L5; ess5 yes
    v1="level2",
    v2="self",
    v3="self",
    v4="yes",
    v5="no",
    v6="yes",
    topics=["m8"],
)  # gaps: m8 (L5, asked)
P2 = member(
    "Lê Thị Bích",
    1990,
    "female",
    "enterprise_worker",
    phone="smartphone",
    computer="no",
    internet="daily",
    # info s1 basic; comm s3 s4 above; content s6 basic; safety s14 basic; problem s10 s12 v4 above: L4
    skills={"s1_search", "s3_videocall", "s4_attach", "s6_copy", "s10_install", "s12_shop", "s14_security"},
    v1="level2",
    v2="self",
    v3="helped",
    v4="yes",
    v5="targeted",
    v6="no",  # ess5 no (v3 helped)
    topics=["m3", "m5"],
)  # gaps: m3 (v3 not self), m5 (s2 no; targeted)
P3 = member(
    "Trần Văn Cường",
    1948,
    "male",
    "retired",
    respondent="proxy",
    phone="basic",
    computer="no",
    internet="over_3_months",  # L0, not an Internet user
    difficulty={"b4_walking": "a_lot"},
    v1="none",
    v3="in_person_only",
    v4="no",
    v5="no",  # v6 unanswered
    topics=["m1"],
)  # gaps m1 (basic phone, L0), m2, m3, m4 (v4 no), m5 (L0), m6 (no information)
P4 = member(
    "Trần Thị Dung",
    2005,
    "female",
    "student",
    phone="smartphone",
    computer="yes",
    internet="last_3_months",
    # info s1 s2, comm s3 s4 s5, content s6 s7, problem s10 s11 s13 v4 above; safety none: L3
    skills={
        "s1_search",
        "s2_verify",
        "s3_videocall",
        "s4_attach",
        "s5_groups",
        "s6_copy",
        "s7_create",
        "s10_install",
        "s11_connect",
        "s13_learn",
    },
    v1="level1",
    v2="needs_help",
    v3="no_need",
    v4="yes",
    v5="lost",
    v6="unknown",
    topics=["none"],
)  # gaps m2 (level 1), m3, m5 (safety none, lost)
P5 = member(
    "Phạm Văn Em",
    1960,
    "male",
    "retired",
    phone="smartphone",
    computer="no",
    internet="daily",
    skills={"s3_videocall"},  # communication basic only: L1
    v1="level2",
    v2="needs_help",
    v3="helped",
    v4="no",
    v5="targeted",
    v6="no",
    topics=["m1", "m2"],
)  # gaps m1 (neither s10 nor s11), m2 (needs help), m3, m4, m5, m6
P6 = member(
    "Phạm Thị Giang",
    1988,
    "female",
    "household_business",
    phone="smartphone",
    computer="no",
    internet="daily",
    # comm s3 basic; safety s15 basic; problem s12 v4 above; information, content none: L2
    skills={"s3_videocall", "s12_shop", "s15_privacy"},
    v1="level2",
    v2="self",
    v3="self",
    v4="yes",
    v5="no",
    v6="yes",  # ess5 yes (s15, s12): yes at L2
    topics=["m6", "m7"],
)  # gaps m1 (no s10/s11), m5 (s2 no), m6 (information none), m7 (business, no content)
P7 = member(
    "Phạm Minh Hải",
    2008,
    "male",
    "student",
    phone="none",
    computer="yes",
    internet="daily",
    skills=ALL_SKILLS - {"s12_shop"},  # problem solving s10 s11 s13 above (v4 no): every area above, L5
    v1="none",
    v3="no_need",
    v4="no",
    v5="no",
    topics=["m8"],
)  # gaps m1 (no smartphone), m2, m3, m4, m8
P8 = member(
    "Vũ Thị Hoa",
    1945,
    "female",
    "retired",
    respondent="proxy",
    phone="basic",
    computer="no",
    internet="never",
    difficulty={"b4_seeing": "cannot"},
    vulnerable=["lives_alone"],
    v1="level1",
    v2="needs_help",
    v3="helped",
    v4="no",
    v5="lost",
    v6="no",
    topics=["none"],
)  # L0; gaps m1-m6
P9 = member(
    "Đỗ Văn Khoa",
    1975,
    "male",
    "freelance",
    phone="smartphone",
    computer="yes",
    internet="daily",
    # info s1 s2 above; comm s3 basic; content none; safety s14 s15 above; problem s10 s12 v4 above: L3
    skills={"s1_search", "s2_verify", "s3_videocall", "s10_install", "s12_shop", "s14_security", "s15_privacy"},
    v1="level2",
    v2="self",
    v3="self",
    v4="yes",
    v5="no",
    v6="yes",  # ess5 yes
    topics=["m7"],
)  # gaps m5 (L3), m7 (freelance, no content)
P10 = member(
    "Đỗ Thị Lan",
    1978,
    "female",
    "homemaker",
    phone="smartphone",
    computer="no",
    internet="last_3_months",
    # info s1 basic; comm s3 s4 s5 above; content s7 basic; problem s11 basic (v4 no); safety none: L3
    skills={"s1_search", "s3_videocall", "s4_attach", "s5_groups", "s7_create", "s11_connect"},
    v1="level2",
    v2="self",
    v3="no_need",
    v4="no",
    v5="targeted",  # v6 unanswered
    topics=["m4", "m5"],
)  # gaps m3, m4, m5
P11 = member(
    "Đỗ Minh Long",
    2003,
    "other",
    "student",
    phone="smartphone",
    computer="yes",
    internet="daily",
    # info s1 s2, comm s3 s4, content s6 s8, problem s10 s11 s12 v4 above; safety s14 basic: L4
    skills={
        "s1_search",
        "s2_verify",
        "s3_videocall",
        "s4_attach",
        "s6_copy",
        "s8_spreadsheet",
        "s10_install",
        "s11_connect",
        "s12_shop",
        "s14_security",
    },
    v1="level2",
    v2="self",
    v3="self",
    v4="yes",
    v5="no",
    v6="no",  # ess5 yes
    topics=["m5", "m8"],
)  # gaps m8 (L4, asked)

#: The first interview of H1, replaced by its second one: none of it may count.
H1_FIRST = [
    member(
        "Nguyễn Văn An",
        1985,
        "male",
        "civil_servant",
        phone="basic",
        computer="no",
        internet="never",
        v1="none",
        v3="no_need",
        v4="no",
        v5="no",
        topics=["m1"],
    )
]
#: H6's only member, in a submission rejected in review: none of it may count.
H6_REJECTED = [dict(P1, b0_name="Hoàng Văn Phúc")]

# ---------------------------------------------------------------- the hand-computed figures

#: Buckets compared: the ward total, each group, each sex.
BUCKETS = ("total", "TDP01", "TDP02", "male", "female", "other")
#: (adults, households, proxy) of each bucket, counted from the tables above.
HEADS = {"total": (11, 5, 2), "TDP01": (4, 2, 1), "TDP02": (7, 3, 1), "male": (5, 3, 1), "female": (5, 2, 1), "other": (1, 0, 0)}


def _case(population: str, who: str, *pairs) -> dict:
    """population: "households" (each household once), "adults" (every member 15+, all asked) or
    "adults answering v6" (the optional question); who: the numerator's people or households;
    pairs: (n, of) per bucket, in the order of BUCKETS."""
    assert len(pairs) == len(BUCKETS)
    return {"population": population, "who": who, "expected": dict(zip(BUCKETS, pairs))}


A, H = "adults", "households"
#: Per indicator key: its denominator's population, who is in its numerator, and (n, of) per bucket:
#:         total      TDP01    TDP02    male     female   other
CASES = {
    # Skill level, over all adults (b8 is required: every adult is assessed; non-users stay in, as L0).
    "level_0": _case(A, "P3 P8", (2, 11), (1, 4), (1, 7), (1, 5), (1, 5), (0, 1)),
    "level_1": _case(A, "P5", (1, 11), (0, 4), (1, 7), (1, 5), (0, 5), (0, 1)),
    "level_2": _case(A, "P6", (1, 11), (0, 4), (1, 7), (0, 5), (1, 5), (0, 1)),
    "level_3": _case(A, "P4 P9 P10", (3, 11), (1, 4), (2, 7), (1, 5), (2, 5), (0, 1)),
    "level_4": _case(A, "P2 P11", (2, 11), (1, 4), (1, 7), (0, 5), (1, 5), (1, 1)),
    "level_5": _case(A, "P1 P7", (2, 11), (1, 4), (1, 7), (2, 5), (0, 5), (0, 1)),
    "level_4_plus": _case(A, "P1 P2 P7 P11", (4, 11), (2, 4), (2, 7), (2, 5), (1, 5), (1, 1)),
    "internet_user": _case(A, "all but P3 P8", (9, 11), (3, 4), (6, 7), (4, 5), (4, 5), (1, 1)),
    # The five essential skills: a person's, then their household's (one member or more).
    "essential_five": _case(A, "P1 P6 P9 P11", (4, 11), (1, 4), (3, 7), (2, 5), (1, 5), (1, 1)),
    "household_essential_five": _case(H, "H1 H2 H5", (3, 5), (1, 2), (2, 3), (2, 3), (1, 2), (0, 0)),
    # Essential digital services.
    "vneid_account": _case(A, "all but P3 P7", (9, 11), (3, 4), (6, 7), (3, 5), (5, 5), (1, 1)),
    "vneid_level2": _case(A, "P1 P2 P5 P6 P9 P10 P11", (7, 11), (2, 4), (5, 7), (3, 5), (3, 5), (1, 1)),
    "public_services_self": _case(A, "P1 P6 P9 P11", (4, 11), (1, 4), (3, 7), (2, 5), (1, 5), (1, 1)),
    "public_services_any": _case(A, "P1 P6 P9 P11 self, P2 P5 P8 helped", (7, 11), (2, 4), (5, 7), (3, 5), (3, 5), (1, 1)),
    "cashless": _case(A, "P1 P2 P4 P6 P9 P11", (6, 11), (3, 4), (3, 7), (2, 5), (3, 5), (1, 1)),
    # v6 is optional: P3 P7 P10 left it unanswered and are out of its denominator ("unknown" stays in).
    "digital_signature": _case(
        "adults answering v6", "P1 P6 P9 (of P1 P2 P4 P5 P6 P8 P9 P11)", (3, 8), (1, 3), (2, 5), (2, 3), (1, 4), (0, 1)
    ),
    # Online safety.
    "scam_exposed": _case(A, "P2 P5 P10 targeted, P4 P8 lost", (5, 11), (2, 4), (3, 7), (1, 5), (4, 5), (0, 1)),
    "scam_lost": _case(A, "P4 P8", (2, 11), (1, 4), (1, 7), (0, 5), (2, 5), (0, 1)),
    # Devices and Internet: the person's phone and computer, then the household's Internet and devices.
    "smartphone": _case(A, "all but P3 P7 P8", (8, 11), (3, 4), (5, 7), (3, 5), (4, 5), (1, 1)),
    "computer_use": _case(A, "P1 P4 P7 P9 P11", (5, 11), (2, 4), (3, 7), (3, 5), (1, 5), (1, 1)),
    # The past bug would give 6 of 11 (the adults of H1, H2, H4) instead of 3 of 5 households.
    "home_internet": _case(H, "H1 H2 H4", (3, 5), (1, 2), (2, 3), (1, 3), (2, 2), (0, 0)),
    "device_computer": _case(H, "H1 H5", (2, 5), (1, 2), (1, 3), (2, 3), (0, 2), (0, 0)),
    "device_tablet": _case(H, "H2", (1, 5), (0, 2), (1, 3), (0, 3), (1, 2), (0, 0)),
    "device_smartphone": _case(H, "H1 H2 H3 H5", (4, 5), (2, 2), (2, 3), (3, 3), (1, 2), (0, 0)),
    "device_smart_tv": _case(H, "H1", (1, 5), (1, 2), (0, 3), (1, 3), (0, 2), (0, 0)),
    "device_none": _case(H, "H4", (1, 5), (0, 2), (1, 3), (0, 3), (1, 2), (0, 0)),
    # Learning needs (l1 is required: every adult answered it).
    "wants_m1": _case(A, "P3 P5", (2, 11), (1, 4), (1, 7), (2, 5), (0, 5), (0, 1)),
    "wants_m2": _case(A, "P5", (1, 11), (0, 4), (1, 7), (1, 5), (0, 5), (0, 1)),
    "wants_m3": _case(A, "P2", (1, 11), (1, 4), (0, 7), (0, 5), (1, 5), (0, 1)),
    "wants_m4": _case(A, "P10", (1, 11), (0, 4), (1, 7), (0, 5), (1, 5), (0, 1)),
    "wants_m5": _case(A, "P2 P10 P11", (3, 11), (1, 4), (2, 7), (0, 5), (2, 5), (1, 1)),
    "wants_m6": _case(A, "P6", (1, 11), (0, 4), (1, 7), (0, 5), (1, 5), (0, 1)),
    "wants_m7": _case(A, "P6 P9", (2, 11), (0, 4), (2, 7), (1, 5), (1, 5), (0, 1)),
    "wants_m8": _case(A, "P1 P7 P11", (3, 11), (1, 4), (2, 7), (2, 5), (0, 5), (1, 1)),
    "wants_none": _case(A, "P4 P8", (2, 11), (1, 4), (1, 7), (0, 5), (2, 5), (0, 1)),
    # Training gaps, over every assessed adult (L0 included: they have gaps too).
    "gap_m1": _case(A, "P3 P5 P6 P7 P8", (5, 11), (1, 4), (4, 7), (3, 5), (2, 5), (0, 1)),
    "gap_m2": _case(A, "P3 P4 P5 P7 P8", (5, 11), (2, 4), (3, 7), (3, 5), (2, 5), (0, 1)),
    "gap_m3": _case(A, "P2 P3 P4 P5 P7 P8 P10", (7, 11), (3, 4), (4, 7), (3, 5), (4, 5), (0, 1)),
    "gap_m4": _case(A, "P3 P5 P7 P8 P10", (5, 11), (1, 4), (4, 7), (3, 5), (2, 5), (0, 1)),
    "gap_m5": _case(A, "P2 P3 P4 P5 P6 P8 P9 P10", (8, 11), (3, 4), (5, 7), (3, 5), (5, 5), (0, 1)),
    "gap_m6": _case(A, "P3 P5 P6 P8", (4, 11), (1, 4), (3, 7), (2, 5), (2, 5), (0, 1)),
    "gap_m7": _case(A, "P6 P9", (2, 11), (0, 4), (2, 7), (1, 5), (1, 5), (0, 1)),
    "gap_m8": _case(A, "P1 P7 P11", (3, 11), (1, 4), (2, 7), (2, 5), (0, 5), (1, 1)),
}

# ---------------------------------------------------------------- the ward, through the store path


def _send(phone: ApiClient, household_id: int, answers: dict, at: str) -> int:
    """One interviewed visit as the phone sends it; the stored submission's id."""
    body = record(
        household_id,
        form_id="household_survey",
        form_version="2025.1",
        answers=answers,
        visited_at=f"2025-08-20T{at}:00Z",
        started_at=f"2025-08-20T{at}:30Z",
        finished_at=f"2025-08-20T{at}:50Z",
        sent_at="2025-08-20T09:00:00Z",
    )
    response = phone.post("/api/submissions", body)
    receipt = response.get_json()
    assert response.status_code == 201 and "submission_id" in receipt, receipt  # stored, not quarantined
    return receipt["submission_id"]


@pytest.fixture
def ward(app, world):
    """The small ward above, stored as phones send it and derived by the worker's tick."""
    g1, g2 = world.group_a1, world.group_a2
    h3 = make_household(g1, "Số 4, ngõ 9, đường Lê Lợi", "Trần Văn Cường")
    h6 = make_household(g1, "Số 6, ngõ 9, đường Lê Lợi", "Hoàng Văn Phúc", members=1)
    h4 = make_household(g2, "Số 15, đường Trần Phú", "Vũ Thị Hoa", members=1)
    h5 = make_household(g2, "Số 21, đường Trần Phú", "Đỗ Văn Khoa", members=3)
    db.session.commit()
    team_1 = ApiClient(app.test_client(), "surveyor_1")  # TDP01
    team_2 = ApiClient(app.test_client(), "surveyor_2")  # TDP02
    h1 = (g1.code, "Số 12, ngõ 3, đường Lê Lợi", "Nguyễn Văn An")
    first = _send(team_1, world.hh_a1.id, household(*h1, H1_FIRST, internet="no", devices=["none"]), "01:00")
    _send(
        team_1,
        h3.id,
        household(g1.code, h3.address, h3.head_name, [P3, P4], internet="no", devices=["smartphone"], poor="poor"),
        "01:30",
    )
    rejected = _send(
        team_1, h6.id, household(g1.code, h6.address, h6.head_name, H6_REJECTED, internet="yes", devices=["computer"]), "01:45"
    )
    second = _send(
        team_1, world.hh_a1.id, household(*h1, [P1, P2], internet="yes", devices=["computer", "smartphone", "smart_tv"]), "02:00"
    )
    _send(
        team_2,
        world.hh_a2.id,
        household(
            g2.code,
            "Số 7, đường Trần Phú",
            "Trần Thị Bình",
            [P6, P5, P7],
            internet="yes",
            devices=["smartphone", "tablet"],
            poor="near_poor",
        ),
        "02:30",
    )
    _send(team_2, h4.id, household(g2.code, h4.address, h4.head_name, [P8], internet="yes", devices=["none"]), "03:00")
    _send(
        team_2,
        h5.id,
        household(g2.code, h5.address, h5.head_name, [P9, P10, P11], internet="no", devices=["computer", "smartphone"]),
        "03:30",
    )
    run_jobs()
    admin = db.session.get(User, world.admin_a.id)
    review_submission(db.session.get(Submission, rejected), ReviewStatus.REJECTED, admin, "Phỏng vấn nhầm hộ")
    db.session.commit()
    run_jobs()  # the review's outbox row
    db.session.expire_all()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(OutboxEntry)) == 0
    assert first != second
    return world


def _by_bucket(world, found: dict) -> dict:
    """{BUCKETS name: bucket} from {"total": ..., group id: ..., sex: ...} as the sources give them."""
    names = {
        "total": "total",
        world.group_a1.id: "TDP01",
        world.group_a2.id: "TDP02",
        "male": "male",
        "female": "female",
        "other": "other",
    }
    return {names[key]: bucket for key, bucket in found.items() if key in names}


def _aggregated(world) -> dict:
    """The buckets computed from the derived rows (indicators.aggregate)."""
    where = (PersonIndicator.ward_id == world.ward_a.id,)
    return _by_bucket(world, {key: bucket for by in ("total", "group", "sex") for key, bucket in aggregate(where, by)})


def _kept(world) -> dict:
    """The buckets the ward dashboard reads: the kept figures (queries.ward_indicators), for its ward admin."""
    admin = db.session.get(User, world.admin_a.id)
    return _by_bucket(
        world,
        {key: bucket for by in ("total", "group", "sex") for key, bucket in queries.ward_indicators(admin, world.ward_a.id, by)},
    )


def _api(app, world) -> dict:
    """The buckets of the JSON API (/api/dashboard/wards/<id>/indicators?by=...), for the ward admin."""
    client = app.test_client()
    login(client, "admin_a")
    found = {}
    for by in ("total", "group", "sex"):
        response = client.get(f"/api/dashboard/wards/{world.ward_a.id}/indicators?by={by}")
        assert response.status_code == 200, response.get_data(as_text=True)
        found.update({item["key"]: item for item in response.get_json()["buckets"]})
    return _by_bucket(world, found)


def _pairs(buckets: dict, key: str) -> dict:
    return {name: (buckets[name]["indicators"][key]["n"], buckets[name]["indicators"][key]["of"]) for name in BUCKETS}


# ---------------------------------------------------------------- the tests


def test_every_indicator_has_a_hand_computed_case():
    """A new indicator needs its case above (its population and its figures counted by hand)."""
    assert sorted(CASES) == sorted(ind.key for ind in INDICATORS)


def test_the_head_counts(app, ward):
    for source in (_aggregated(ward), _kept(ward), _api(app, ward)):
        assert {name: (b["adults"], b["households"], b["proxy"]) for name, b in source.items()} == HEADS


@pytest.mark.parametrize("indicator", INDICATORS, ids=lambda ind: ind.key)
def test_numerator_and_denominator_against_the_hand_count(app, ward, indicator):
    case = CASES.get(indicator.key)
    if case is None:
        pytest.fail(f"{indicator.key}: no hand-computed case in CASES (its population and figures per bucket)")
    # The population the definition names, and the one the code counts over.
    assert indicator.household == (case["population"] == H), (indicator.key, case["population"])
    expected = case["expected"]
    aggregated, kept, api = _aggregated(ward), _kept(ward), _api(app, ward)
    assert _pairs(aggregated, indicator.key) == expected, case["who"]
    assert _pairs(kept, indicator.key) == expected, "the kept figures (ward dashboard)"
    assert _pairs(api, indicator.key) == expected, "the JSON API"
    for name in BUCKETS:
        n, of = expected[name]
        adults, households, _proxy = HEADS[name]
        if case["population"] == H:
            assert of == households  # a6 and a8 are required: every household is asked
        elif case["population"] == A:
            assert of == adults
        for source in (aggregated, kept, api):
            share = source[name]["indicators"][indicator.key]["share"]
            assert share is None if of == 0 else share == pytest.approx(n / of), (name, share)


def test_home_internet_counts_households_not_adults(app, ward):
    """The past bug: adults of connected households over all adults (6 of 11), not 3 of 5 households."""
    for source in (_aggregated(ward), _kept(ward), _api(app, ward)):
        total = source["total"]
        assert (total["indicators"]["home_internet"]["n"], total["indicators"]["home_internet"]["of"]) == (3, 5)
        assert total["indicators"]["home_internet"]["of"] == total["households"] != total["adults"]


def test_a_team_leaders_total_is_their_groups(app, ward):
    """Team 1's leader sees TDP01 only: their ward total has TDP01's numerators and denominators."""
    client = app.test_client()
    login(client, "leader_1")
    response = client.get(f"/api/dashboard/wards/{ward.ward_a.id}/indicators?by=total")
    assert response.status_code == 200
    [total] = response.get_json()["buckets"]
    assert (total["adults"], total["households"], total["proxy"]) == HEADS["TDP01"]
    got = {key: (item["n"], item["of"]) for key, item in total["indicators"].items()}
    assert got == {key: case["expected"]["TDP01"] for key, case in CASES.items()}


def test_headline_tallies_of_the_city_rollup(ward):
    """The group tallies (city roll-up) hold the same headline figures per group and per ward."""
    rows = db.session.execute(sa.select(IndicatorTally).where(IndicatorTally.ward_id == ward.ward_a.id)).scalars()
    tallies = {row.residential_group_id: row for row in rows}
    assert set(tallies) == {ward.group_a1.id, ward.group_a2.id}
    for group_id, name in ((ward.group_a1.id, "TDP01"), (ward.group_a2.id, "TDP02")):
        tally = tallies[group_id]
        assert (tally.adults, tally.households, tally.proxy) == HEADS[name]
        for key in HEADLINE:
            assert (getattr(tally, f"{key}_n"), getattr(tally, f"{key}_of")) == CASES[key]["expected"][name], key
    [(ward_id, bucket)] = tallies_by_ward([ward.ward_a.id])
    assert ward_id == ward.ward_a.id and (bucket["adults"], bucket["households"]) == (11, 5)
    for key in HEADLINE:
        assert (bucket["indicators"][key]["n"], bucket["indicators"][key]["of"]) == CASES[key]["expected"]["total"]


def test_workbook_summary_carries_the_same_figures(ward, tmp_path):
    """The export's summary sheet: every indicator's count and denominator over the whole ward."""
    book = open_workbook(export(db.session.get(User, ward.admin_a.id), tmp_path))
    summary = {row["Mã chỉ tiêu"]: row for row in records(book, "Tổng hợp")}
    assert summary["adults"]["Số lượng"] == 11
    assert (summary["proxy"]["Số lượng"], summary["proxy"]["Trên tổng số"]) == (2, 11)
    for indicator in INDICATORS:
        row = summary[indicator.key]
        n, of = CASES[indicator.key]["expected"]["total"]
        assert (row["Số lượng"], row["Trên tổng số"]) == (n, of), indicator.key
        assert row["Tỷ lệ"] == pytest.approx(n / of), indicator.key


def test_a_ward_rebuild_gives_the_same_figures(app, ward):
    """Re-deriving the whole ward (survey-app dashboard rebuild) counts the same as the worker's tick."""
    before = _aggregated(ward)
    rebuild_indicators(ward.ward_a.id)
    db.session.commit()
    assert _aggregated(ward) == before
    assert _kept(ward) == before
