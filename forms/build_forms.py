"""Write the first version of the shipped XLSForms (run once; the .xlsx files are the source).

    python forms/build_forms.py [--force]

After the first build, ward staff and developers edit forms/<form_id>.xlsx in Excel; this script
is kept only as the record of how version 2025.1 was made and refuses to overwrite an existing
workbook without --force. After any change to an .xlsx run `survey-app forms dump` to refresh its
text view forms/<form_id>.md (a test checks that the two agree).

The household survey follows /work/shared/questionnaire.md (item codes become names); labels are
Vietnamese first, English second.
"""

from __future__ import annotations

import sys
from pathlib import Path

import xlsxwriter

HERE = Path(__file__).resolve().parent
VI, EN = "Tiếng Việt (vi)", "English (en)"
SURVEY_COLUMNS = [
    "type",
    "name",
    f"label::{VI}",
    f"label::{EN}",
    f"hint::{VI}",
    f"hint::{EN}",
    "required",
    "relevant",
    "constraint",
    f"constraint_message::{VI}",
    f"constraint_message::{EN}",
    "calculation",
    "read_only",
    "appearance",
]
CHOICE_COLUMNS = ["list_name", "name", f"label::{VI}", f"label::{EN}"]
SETTINGS_COLUMNS = ["form_title", "form_id", "version", "default_language", "instance_name"]


def q(
    type_,
    name,
    vi="",
    en="",
    *,
    hint=("", ""),
    required="",
    relevant="",
    constraint="",
    message=("", ""),
    calculation="",
    read_only="",
    appearance="",
):
    """One survey row."""
    return [
        type_,
        name,
        vi,
        en,
        hint[0],
        hint[1],
        required,
        relevant,
        constraint,
        message[0],
        message[1],
        calculation,
        read_only,
        appearance,
    ]


def end(kind):
    return q(f"end {kind}", "")


def yes(type_, name, vi, en, **kw):
    """A required question."""
    return q(type_, name, vi, en, required="yes", **kw)


HAS_TOPIC = "count-selected(${l1_topics}) > 0 and not(selected(${l1_topics}, 'none'))"
NONE_ALONE = "not(selected(., 'none') and count-selected(.) > 1)"
DISABILITY = " or ".join(
    f"${{b4_{d}}} = 'a_lot' or ${{b4_{d}}} = 'cannot'"
    for d in ("seeing", "hearing", "walking", "remembering", "selfcare", "communicating")
)
AGE_GROUP = (
    "if(${age} = '', '', if(${age} <= 24, '15_24', if(${age} <= 39, '25_39', "
    "if(${age} <= 59, '40_59', if(${age} <= 74, '60_74', '75_plus')))))"
)
USES_INTERNET = "${b8_internet} = 'last_3_months' or ${b8_internet} = 'daily'"
SKILLS = [
    (
        "s1_search",
        "Tìm thông tin (hàng hoá, sức khoẻ, thủ tục) trên mạng",
        "Searched online for information (goods, health, procedures)",
        "",
    ),
    ("s2_verify", "Kiểm tra tin có đúng không trước khi chia sẻ", "Checked whether information is true before sharing it", ""),
    ("s3_videocall", "Gọi video qua Zalo, Messenger", "Made a video call (Zalo, Messenger)", ""),
    ("s4_attach", "Gửi tin nhắn kèm ảnh hoặc tệp", "Sent a message with a photo or file attached", ""),
    ("s5_groups", "Tham gia nhóm Zalo, mạng xã hội", "Took part in Zalo or social network groups", ""),
    (
        "s6_copy",
        "Sao chép, dán; chuyển ảnh/tệp giữa các máy hoặc lên đám mây",
        "Copied and pasted; moved photos or files between devices or to the cloud",
        "",
    ),
    (
        "s7_create",
        "Soạn văn bản, chỉnh ảnh/video, đăng nội dung tự làm",
        "Wrote documents, edited photos or videos, posted their own content",
        "",
    ),
    ("s8_spreadsheet", "Dùng công thức trong bảng tính", "Used a formula in a spreadsheet", "${b7_computer} = 'yes'"),
    ("s9_code", "Viết chương trình máy tính", "Wrote a computer program", "${b7_computer} = 'yes'"),
    ("s10_install", "Tự cài đặt, cập nhật ứng dụng", "Installed or updated apps", ""),
    ("s11_connect", "Kết nối Wi-Fi, Bluetooth, thiết bị mới", "Connected to Wi-Fi, Bluetooth or a new device", ""),
    ("s12_shop", "Mua hàng trực tuyến", "Shopped online", ""),
    ("s13_learn", "Học trực tuyến", "Learned online", ""),
    (
        "s14_security",
        "Đặt mật khẩu mạnh, xác thực 2 lớp, khoá màn hình",
        "Set a strong password, two-factor authentication or a screen lock",
        "",
    ),
    ("s15_privacy", "Chỉnh quyền riêng tư, quyền của ứng dụng", "Changed privacy settings or app permissions", ""),
]
DIFFICULTIES = [
    ("seeing", "Nhìn, kể cả khi đeo kính", "Seeing, even if wearing glasses"),
    ("hearing", "Nghe, kể cả khi dùng máy trợ thính", "Hearing, even if using a hearing aid"),
    ("walking", "Đi lại hoặc leo cầu thang", "Walking or climbing steps"),
    ("remembering", "Nhớ hoặc tập trung", "Remembering or concentrating"),
    ("selfcare", "Tự chăm sóc (tắm rửa, mặc quần áo)", "Self-care, such as washing or dressing"),
    (
        "communicating",
        "Giao tiếp (hiểu người khác hoặc được người khác hiểu)",
        "Communicating: understanding or being understood",
    ),
]

HOUSEHOLD_SURVEY = [
    q("calculate", "survey_year", calculation="int(format-date(today(), '%Y'))"),
    q("begin group", "household", "A. Thông tin hộ gia đình", "A. The household"),
    yes(
        "text",
        "a1_group",
        "Tổ dân phố / thôn",
        "Residential group",
        read_only="yes",
        hint=("Điền sẵn từ lượt thăm hộ", "Filled in from the visit"),
    ),
    yes("text", "a2_address", "Số nhà, ngõ/ngách, đường", "House number, lane or alley, street"),
    yes("text", "a3_head_name", "Họ tên chủ hộ", "Name of the head of household"),
    q(
        "text",
        "a4_phone",
        "Số điện thoại liên hệ",
        "Contact phone number",
        appearance="numbers",
        constraint="regex(., '^0[0-9]{9}$')",
        message=("Số di động gồm 10 chữ số, bắt đầu bằng 0", "A mobile number has 10 digits and starts with 0"),
    ),
    yes(
        "integer",
        "a5_members",
        "Số nhân khẩu đang sống tại hộ",
        "Number of people living in the household",
        constraint=". >= 1 and . <= 30",
        message=("Từ 1 đến 30 người", "From 1 to 30 people"),
    ),
    yes("select_one yes_no", "a6_internet", "Hộ có Internet tại nhà không?", "Does the household have Internet at home?"),
    yes(
        "select_multiple why_not",
        "a6b_why_not",
        "Vì sao chưa có Internet?",
        "Why is there no Internet at home?",
        relevant="${a6_internet} = 'no'",
    ),
    yes("select_multiple connection", "a7_connection", "Loại kết nối", "Type of connection", relevant="${a6_internet} = 'yes'"),
    yes(
        "select_multiple devices",
        "a8_devices",
        "Thiết bị trong hộ",
        "Devices in the household",
        constraint=NONE_ALONE,
        message=('Không chọn "Không có" cùng thiết bị khác', '"None" cannot be chosen together with a device'),
    ),
    yes("select_one poor", "a9_poor", "Hộ nghèo / cận nghèo", "Poor or near-poor household"),
    yes(
        "select_one yes_no",
        "a10_home_support",
        "Có người cần được hướng dẫn tại nhà (không đi lại được)?",
        "Does someone need help at home (cannot travel)?",
    ),
    end("group"),
    q("begin repeat", "members", "B. Thành viên từ 15 tuổi trở lên", "B. Household members aged 15 or over"),
    yes("text", "b0_name", "Họ tên", "Full name"),
    yes("select_one respondent", "b0_respondent", "Người trả lời", "Who answers"),
    yes(
        "integer",
        "b1_birth_year",
        "Năm sinh",
        "Year of birth",
        constraint=". <= ${survey_year} - 15 and . >= ${survey_year} - 110",
        message=("Chỉ ghi thành viên từ 15 đến 110 tuổi", "Only members aged 15 to 110"),
    ),
    q("calculate", "age", calculation="if(${b1_birth_year} = '', '', ${survey_year} - ${b1_birth_year})"),
    q("calculate", "age_group", calculation=AGE_GROUP),
    yes("select_one sex", "b2_sex", "Giới tính", "Sex"),
    yes("select_one occupation", "b3_occupation", "Nghề nghiệp chính", "Main occupation"),
    q("begin group", "b4_difficulty", "Khó khăn khi làm các việc sau", "Difficulty doing the following"),
    *[yes("select_one difficulty", f"b4_{code}", vi, en) for code, vi, en in DIFFICULTIES],
    end("group"),
    q("calculate", "disability", calculation=f"if({DISABILITY}, 'yes', 'no')"),
    q(
        "select_multiple vulnerable",
        "b5_vulnerable",
        "Đặc điểm",
        "Characteristics",
        constraint=NONE_ALONE,
        message=('Không chọn "Không có" cùng đặc điểm khác', '"None of these" cannot be chosen with another'),
    ),
    yes("select_one phone", "b6_phone", "Điện thoại đang dùng", "Phone in use"),
    yes(
        "select_one yes_no",
        "b7_computer",
        "Dùng máy tính/laptop/máy tính bảng trong 3 tháng qua?",
        "Used a computer, laptop or tablet in the last 3 months?",
    ),
    yes("select_one internet", "b8_internet", "Lần gần nhất dùng Internet", "Last use of the Internet"),
    q(
        "begin group",
        "skills",
        "Trong 3 tháng qua, ông/bà đã tự làm được việc sau chưa?",
        "In the last 3 months, has the person done the following on their own?",
        relevant=USES_INTERNET,
        hint=("Người trả lời tự khai, không phải bài kiểm tra", "Self-reported, not a test"),
    ),
    *[yes("select_one yes_no", name, vi, en, relevant=rel) for name, vi, en, rel in SKILLS],
    end("group"),
    q("begin group", "services", "Dịch vụ số thiết yếu", "Essential digital services"),
    yes("select_one vneid", "v1_vneid", "Tài khoản VNeID", "VNeID account"),
    yes(
        "select_one vneid_use",
        "v2_vneid_use",
        "Tự mở và sử dụng VNeID",
        "Opens and uses VNeID on their own",
        relevant="${v1_vneid} = 'level1' or ${v1_vneid} = 'level2'",
    ),
    yes(
        "select_one public_services",
        "v3_public_services",
        "Nộp hồ sơ dịch vụ công trực tuyến trong 12 tháng qua",
        "Online public service applications in the last 12 months",
    ),
    yes(
        "select_one yes_no",
        "v4_cashless",
        "Đã chuyển khoản hoặc quét mã QR thanh toán trong 3 tháng qua",
        "Made a bank transfer or paid by QR code in the last 3 months",
    ),
    yes(
        "select_one scam",
        "v5_scam",
        "Trong 12 tháng qua có bị lừa đảo trên mạng/điện thoại không?",
        "In the last 12 months, targeted by an online or phone scam?",
    ),
    q("select_one yes_no_unknown", "v6_digital_signature", "Có chữ ký số cá nhân", "Has a personal digital signature"),
    end("group"),
    q("begin group", "learning", "Nhu cầu học tập", "Learning needs"),
    yes(
        "select_multiple topics",
        "l1_topics",
        "Muốn học những nội dung nào? (tối đa 3)",
        "Which topics would the person like to learn? (at most 3)",
        constraint=f"count-selected(.) <= 3 and {NONE_ALONE}",
        message=(
            'Chọn tối đa 3 nội dung; không chọn "Không có nhu cầu" cùng nội dung khác',
            'Choose at most 3 topics; "No need" cannot be chosen with a topic',
        ),
    ),
    yes("select_multiple learning_time", "l2_time", "Thời gian thuận tiện", "Convenient times", relevant=HAS_TOPIC),
    yes("select_one learning_place", "l3_place", "Địa điểm thuận tiện", "Convenient place", relevant=HAS_TOPIC),
    yes("select_one learning_format", "l4_format", "Hình thức", "Preferred format", relevant=HAS_TOPIC),
    q("select_one yes_no", "l5_tutor", "Sẵn sàng hướng dẫn người khác", "Willing to help others learn"),
    end("group"),
    end("repeat"),
]

HOUSEHOLD_CHOICES = {
    "yes_no": [("yes", "Có", "Yes"), ("no", "Không", "No")],
    "yes_no_unknown": [("yes", "Có", "Yes"), ("no", "Không", "No"), ("unknown", "Không biết", "Does not know")],
    "why_not": [
        ("no_need", "Không cần", "Not needed"),
        ("cost", "Chi phí cao", "Too expensive"),
        ("no_skill", "Không biết dùng", "Does not know how to use it"),
        ("no_device", "Không có thiết bị", "No device"),
        ("no_coverage", "Chưa có hạ tầng/sóng yếu", "No network or a weak signal"),
        ("other", "Khác", "Other"),
    ],
    "connection": [
        ("fibre_wifi", "Cáp quang/Wi-Fi", "Fibre or Wi-Fi"),
        ("mobile_data", "4G/5G trên điện thoại", "4G/5G on a phone"),
        ("other", "Khác", "Other"),
    ],
    "devices": [
        ("computer", "Máy tính để bàn/laptop", "Desktop or laptop computer"),
        ("tablet", "Máy tính bảng", "Tablet"),
        ("smartphone", "Điện thoại thông minh", "Smartphone"),
        ("smart_tv", "TV thông minh", "Smart TV"),
        ("none", "Không có", "None"),
    ],
    "poor": [("no", "Không", "No"), ("near_poor", "Cận nghèo", "Near-poor"), ("poor", "Nghèo", "Poor")],
    "respondent": [
        ("self", "Chính người đó", "The person themself"),
        ("proxy", "Người khác trả lời thay", "Someone else on their behalf"),
    ],
    "sex": [("male", "Nam", "Male"), ("female", "Nữ", "Female"), ("other", "Khác", "Other")],
    "occupation": [
        ("student", "Học sinh/sinh viên", "Pupil or student"),
        ("civil_servant", "Cán bộ, công chức, viên chức", "Civil servant or public employee"),
        ("enterprise_worker", "Lao động doanh nghiệp", "Company employee"),
        ("household_business", "Hộ kinh doanh/tiểu thương", "Household business or small trader"),
        ("agriculture", "Nông nghiệp", "Agriculture"),
        ("freelance", "Lao động tự do", "Freelance or casual work"),
        ("homemaker", "Nội trợ", "Homemaker"),
        ("retired", "Nghỉ hưu", "Retired"),
        ("unemployed", "Không có việc làm", "Unemployed"),
    ],
    "difficulty": [
        ("none", "Không khó khăn", "No difficulty"),
        ("some", "Có khó khăn", "Some difficulty"),
        ("a_lot", "Rất khó khăn", "A lot of difficulty"),
        ("cannot", "Không thể làm được", "Cannot do it at all"),
    ],
    "vulnerable": [
        ("lives_alone", "Sống một mình", "Lives alone"),
        ("ethnic_minority", "Người dân tộc thiểu số", "Ethnic minority"),
        ("reading_difficulty", "Đọc chữ khó", "Has difficulty reading"),
        ("none", "Không có", "None of these"),
    ],
    "phone": [
        ("none", "Không có", "None"),
        ("basic", "Điện thoại thường", "Basic phone"),
        ("smartphone", "Điện thoại thông minh", "Smartphone"),
    ],
    "internet": [
        ("never", "Chưa bao giờ", "Never"),
        ("over_3_months", "Hơn 3 tháng trước", "More than 3 months ago"),
        ("last_3_months", "Trong 3 tháng qua", "In the last 3 months"),
        ("daily", "Hằng ngày", "Every day"),
    ],
    "vneid": [
        ("none", "Chưa có", "None"),
        ("level1", "Mức 1", "Level 1"),
        ("level2", "Mức 2", "Level 2"),
        ("unknown", "Không biết", "Does not know"),
    ],
    "vneid_use": [
        ("self", "Tự làm được", "Can do it alone"),
        ("needs_help", "Cần người giúp", "Needs help"),
        ("not_used", "Không dùng", "Does not use it"),
    ],
    "public_services": [
        ("self", "Tự làm", "Did it alone"),
        ("helped", "Nhờ người làm giúp", "Someone did it for them"),
        ("in_person_only", "Chỉ làm trực tiếp tại bộ phận một cửa", "Only in person at the one-stop desk"),
        ("no_need", "Chưa có nhu cầu", "Has not needed to"),
    ],
    "scam": [
        ("no", "Không", "No"),
        ("targeted", "Bị nhắm tới nhưng không mất gì", "Targeted but lost nothing"),
        ("lost", "Bị mất tiền hoặc thông tin", "Lost money or information"),
    ],
    "topics": [
        ("m1", "Sử dụng điện thoại thông minh cơ bản", "Basic smartphone use"),
        ("m2", "Cài đặt và kích hoạt VNeID mức 2", "Installing and activating VNeID level 2"),
        ("m3", "Dịch vụ công trực tuyến", "Online public services"),
        ("m4", "Thanh toán không dùng tiền mặt", "Cashless payment"),
        ("m5", "An toàn trên mạng, phòng chống lừa đảo", "Online safety and scam prevention"),
        ("m6", "Kiểm chứng thông tin trên mạng", "Checking information online"),
        ("m7", "Bán hàng trực tuyến và ứng dụng văn phòng", "Selling online and office apps"),
        ("m8", "Trí tuệ nhân tạo (AI) cơ bản", "Basic artificial intelligence (AI)"),
        ("none", "Không có nhu cầu", "No need"),
    ],
    "learning_time": [
        ("weekday_morning", "Sáng ngày thường", "Weekday mornings"),
        ("weekday_afternoon", "Chiều ngày thường", "Weekday afternoons"),
        ("weekday_evening", "Tối ngày thường", "Weekday evenings"),
        ("weekend", "Cuối tuần", "Weekends"),
    ],
    "learning_place": [
        ("community_house", "Nhà văn hoá tổ dân phố", "Community house"),
        ("ward_point", "Điểm hỗ trợ của phường", "Ward support point"),
        ("home", "Tại nhà", "At home"),
        ("online", "Học trực tuyến", "Online"),
    ],
    "learning_format": [
        ("one_to_one", "Kèm riêng 1–1", "One-to-one"),
        ("small_group", "Nhóm nhỏ", "Small group"),
        ("class", "Lớp học", "Class"),
        ("zalo_video", "Video hướng dẫn qua Zalo", "Video guides on Zalo"),
        ("platform", "Nền tảng Bình dân học vụ số", "The Bình dân học vụ số platform"),
    ],
}

SUPPORT_EVENT = [
    yes("datetime", "occurred_at", "Thời gian hỗ trợ", "When"),
    yes("select_one place", "place", "Địa điểm", "Where"),
    yes("text", "place_other", "Nơi khác (ghi rõ)", "Other place (specify)", relevant="${place} = 'other'"),
    yes("select_one helped", "helped", "Người được hỗ trợ", "Who was helped"),
    yes(
        "integer",
        "person_id",
        "Chọn người trong hộ",
        "Choose the person in the household",
        relevant="${helped} = 'surveyed'",
        appearance="household-member",
        hint=("Chọn từ danh sách thành viên đã khảo sát của hộ", "Picked from the household's surveyed members"),
    ),
    yes("select_one age_group", "anon_age_group", "Nhóm tuổi", "Age group", relevant="${helped} = 'anonymous'"),
    yes("select_one sex", "anon_sex", "Giới tính", "Sex", relevant="${helped} = 'anonymous'"),
    yes("select_multiple support_type", "support_types", "Nội dung hỗ trợ", "What was done"),
    yes(
        "text", "support_other", "Nội dung khác (ghi rõ)", "Other help (specify)", relevant="selected(${support_types}, 'other')"
    ),
    yes("select_one outcome", "outcome", "Kết quả", "Outcome"),
    yes(
        "integer",
        "minutes",
        "Số phút hỗ trợ",
        "Minutes spent",
        constraint=". >= 1 and . <= 480",
        message=("Từ 1 đến 480 phút", "From 1 to 480 minutes"),
    ),
]

SUPPORT_CHOICES = {
    "place": [
        ("home", "Tại nhà người dân", "At home"),
        ("community_house", "Nhà văn hoá tổ dân phố", "Community house"),
        ("service_centre", "Trung tâm phục vụ hành chính công", "Public Service Centre"),
        ("other", "Nơi khác", "Other"),
    ],
    "helped": [
        ("surveyed", "Người đã khảo sát trong hộ", "A surveyed household member"),
        ("anonymous", "Người dân (không ghi tên)", "Anonymous person"),
    ],
    "age_group": [
        ("15_24", "15–24", "15–24"),
        ("25_39", "25–39", "25–39"),
        ("40_59", "40–59", "40–59"),
        ("60_74", "60–74", "60–74"),
        ("75_plus", "75 trở lên", "75 or over"),
    ],
    "sex": HOUSEHOLD_CHOICES["sex"],
    "support_type": [
        ("vneid_install", "Cài đặt VNeID", "Install VNeID"),
        ("vneid_level2", "Kích hoạt định danh điện tử mức 2", "Activate level-2 e-identity"),
        ("public_service", "Nộp hồ sơ dịch vụ công trực tuyến", "An online public service application"),
        ("cashless", "Cài đặt thanh toán không dùng tiền mặt", "Cashless payment set-up"),
        ("scam_awareness", "Hướng dẫn phòng chống lừa đảo", "Scam-awareness guidance"),
        ("tax_app", "Ứng dụng thuế (eTax Mobile)", "The tax app (eTax Mobile)"),
        ("citizen_app", "Ứng dụng công dân số của thành phố", "The city's citizen app"),
        ("health_app", "Bảo hiểm y tế, sức khoẻ điện tử (VssID, Sổ sức khoẻ điện tử)", "Health insurance or e-health app"),
        ("other", "Khác", "Other"),
    ],
    "outcome": [
        ("done", "Đã xong", "Done"),
        ("partly", "Xong một phần", "Partly done"),
        ("follow_up", "Cần hỗ trợ tiếp", "Needs a follow-up"),
    ],
}

FORMS = {
    "household_survey": (
        HOUSEHOLD_SURVEY,
        HOUSEHOLD_CHOICES,
        [
            "Khảo sát kỹ năng số và nhu cầu học tập của hộ gia đình",
            "household_survey",
            "2025.1",
            VI,
            "concat(${a1_group}, ' - ', ${a3_head_name})",
        ],
    ),
    "support_event": (SUPPORT_EVENT, SUPPORT_CHOICES, ["Ghi nhận hỗ trợ Bình dân học vụ số", "support_event", "2025.1", VI, ""]),
}


def write(path: Path, survey: list, choices: dict, settings: list) -> None:
    workbook = xlsxwriter.Workbook(str(path), {"strings_to_formulas": False, "strings_to_numbers": False})
    bold = workbook.add_format({"bold": True})
    for title, header, rows in (
        ("survey", SURVEY_COLUMNS, survey),
        ("choices", CHOICE_COLUMNS, [[name, *row] for name, items in choices.items() for row in items]),
        ("settings", SETTINGS_COLUMNS, [settings]),
    ):
        sheet = workbook.add_worksheet(title)
        sheet.write_row(0, 0, header, bold)
        sheet.freeze_panes(1, 0)
        for number, row in enumerate(rows, start=1):
            sheet.write_row(number, 0, [cell for cell in row])
        sheet.set_column(0, len(header) - 1, 24)
    workbook.close()


def main(argv: list[str]) -> int:
    force = "--force" in argv
    for form_id, (survey, choices, settings) in FORMS.items():
        path = HERE / f"{form_id}.xlsx"
        if path.exists() and not force:
            print(f"{path.name} exists; it is the source now (use --force to overwrite it)")
            continue
        write(path, survey, choices, settings)
        print(f"wrote {path.name}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
