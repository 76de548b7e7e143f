"""Words written into exported cells for stored codes, in Vietnamese and English.

These are data in the file (like the form's own vi/en labels), chosen by the export's language,
not by the language of whoever runs it; so they are pairs here rather than gettext messages.
"""

from __future__ import annotations

HOUSEHOLD_STATUS = {
    "not_visited": ("Chưa đến", "Not visited"),
    "revisit": ("Cần quay lại", "Revisit"),
    "done": ("Đã khảo sát", "Surveyed"),
    "refused": ("Từ chối", "Refused"),
    "moved": ("Đã chuyển đi", "Moved away"),
    "not_found": ("Không tìm thấy", "Not found"),
}
VISIT_OUTCOME = {
    "interviewed": ("Đã phỏng vấn", "Interviewed"),
    "nobody_home": ("Không có nhà, hẹn lại", "Nobody home, come back"),
    "refused": ("Từ chối", "Refused"),
    "moved": ("Đã chuyển đi", "Moved away"),
    "not_found": ("Không tìm thấy hộ", "Household not found"),
    "new_household": ("Hộ mới", "New household"),
}
REVIEW_STATUS = {
    "received": ("Đã nhận", "Received"),
    "has_issues": ("Cần xem lại", "Has issues"),
    "approved": ("Đã duyệt", "Approved"),
    "rejected": ("Không chấp nhận", "Rejected"),
}
VERSION_SOURCE = {
    "sent": ("Bản gửi lên", "As sent"),
    "corrected": ("Đã sửa", "Corrected"),
    "fixed": ("Khảo sát viên đã sửa", "Fixed by the surveyor"),
}
CHANNEL = {"door_to_door": ("Trực tiếp", "Door to door"), "online": ("Trực tuyến", "Online"), "paper": ("Phiếu giấy", "Paper")}
SEX = {"male": ("Nam", "Male"), "female": ("Nữ", "Female"), "other": ("Khác", "Other")}
ROLE = {
    "ward_admin": ("Cán bộ phường", "Ward staff"),
    "team_leader": ("Tổ trưởng", "Team leader"),
    "surveyor": ("Khảo sát viên", "Surveyor"),
    "city_viewer": ("Cán bộ thành phố", "City viewer"),
    "city_admin": ("Quản trị thành phố", "City administrator"),
}
SUPPORT_PLACE = {
    "home": ("Tại nhà", "At home"),
    "community_house": ("Nhà văn hóa", "Community house"),
    "service_centre": ("Trung tâm phục vụ hành chính công", "Public Service Centre"),
    "other": ("Nơi khác", "Elsewhere"),
}
SUPPORT_OUTCOME = {
    "done": ("Đã xong", "Done"),
    "partly": ("Làm được một phần", "Partly done"),
    "follow_up": ("Cần hỗ trợ tiếp", "Needs a follow-up"),
}
TIME_SLOT = {
    "weekday_morning": ("Sáng ngày thường", "Weekday morning"),
    "weekday_afternoon": ("Chiều ngày thường", "Weekday afternoon"),
    "weekday_evening": ("Tối ngày thường", "Weekday evening"),
    "weekend": ("Cuối tuần", "Weekend"),
}
YES_NO = {True: ("Có", "Yes"), False: ("Không", "No")}


def picker(table: dict, lang: str):
    """A function code -> label in `lang` (the code itself when the table does not know it)."""
    position = 1 if lang == "en" else 0
    words = {key: pair[position] for key, pair in table.items()}

    def label(value):
        if value is None:
            return None
        value = getattr(value, "value", value)
        return words.get(value, value)

    return label


def describe(table: dict) -> str:
    """'code = nhãn; ...' for the data dictionary."""
    return "; ".join(f"{code} = {vi}" for code, (vi, _en) in table.items())
