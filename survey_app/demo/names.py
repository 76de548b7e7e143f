"""Name and place parts for synthetic Vietnamese residents (no real personal data)."""
from survey_app.teams.offices import OFFICES  # noqa: F401  (the canonical office list; re-exported)

#: Family names with rough national shares (percent).
FAMILY_NAMES = [
    ("Nguyễn", 38), ("Trần", 11), ("Lê", 9), ("Phạm", 7), ("Hoàng", 5), ("Vũ", 4), ("Phan", 4),
    ("Đặng", 2), ("Bùi", 2), ("Đỗ", 2), ("Hồ", 1), ("Ngô", 1), ("Dương", 1), ("Lý", 1), ("Đinh", 1),
    ("Trịnh", 1), ("Lương", 1), ("Mai", 1), ("Đào", 1), ("Cao", 1),
]
MIDDLE_MALE = ["Văn", "Đức", "Minh", "Quang", "Hữu", "Công", "Xuân", "Thành", "Ngọc", "Anh", "Mạnh", "Trọng"]
MIDDLE_FEMALE = ["Thị", "Thị", "Thị", "Thu", "Ngọc", "Thanh", "Minh", "Hồng", "Kim", "Phương", "Bích", "Diệu"]
GIVEN_MALE = [
    "An", "Bình", "Cường", "Dũng", "Đạt", "Hải", "Hùng", "Huy", "Khánh", "Long", "Minh", "Nam",
    "Phong", "Quân", "Sơn", "Tâm", "Thắng", "Trung", "Tuấn", "Việt", "Hoàng", "Kiên", "Lâm", "Phúc",
    "Thịnh", "Vinh", "Tùng", "Hiếu", "Đông", "Khoa",
]
GIVEN_FEMALE = [
    "Anh", "Chi", "Dung", "Hà", "Hằng", "Hoa", "Hương", "Lan", "Linh", "Loan", "Mai", "My", "Ngân",
    "Nhung", "Oanh", "Phương", "Quyên", "Thảo", "Trang", "Tuyết", "Vân", "Yến", "Hạnh", "Huyền",
    "Thủy", "Nga", "Liên", "Giang", "Ngọc", "Xuân",
]
STREETS = [
    "Lê Lợi", "Trần Phú", "Nguyễn Trãi", "Hai Bà Trưng", "Lạch Tray", "Điện Biên Phủ", "Tô Hiệu",
    "Lê Thánh Tông", "Cầu Đất", "Hoàng Văn Thụ", "Nguyễn Đức Cảnh", "Văn Cao", "Trần Nguyên Hãn",
    "Đà Nẵng", "Lê Lai", "Phạm Ngũ Lão", "Chu Văn An", "Quang Trung", "Lý Thường Kiệt", "Bạch Đằng",
    "Hùng Vương", "Nguyễn Văn Linh", "Tôn Đức Thắng", "Trần Hưng Đạo", "Phan Bội Châu",
]
