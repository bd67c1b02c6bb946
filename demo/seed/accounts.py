"""Demo divisions and users: Pingdu (平度市), a county-level city of Qingdao, Shandong.

Township codes are the real statistical codes; village names and codes are illustrative.
"""

from accounts.models import Division, Level, Role, User
from accounts.services import get_or_create_division, user_create

DEMO_PASSWORD = "Dibao-demo-2026"
COUNTY_CODE = "370283000000"

TOWNSHIPS = [
    ("370283101000", "南村镇", ["东关村", "西王家村", "北埠村", "南河头村", "后疃村"]),
    ("370283102000", "蓼兰镇", ["蓼兰村", "丁家庄村", "大田村", "小庄子村", "前楼村"]),
    ("370283108000", "大泽山镇", ["大泽山村", "石家村", "岚前村", "三合村", "长乐村"]),
    ("370283112000", "仁兆镇", ["仁兆村", "沙埠村", "后河村", "东柳村", "张家埠村"]),
]

# username, role, division code, display name
DEMO_USERS = [
    # The three administrators (三员分立); none is a Django superuser.
    ("admin", Role.ADMIN, None, "系统管理员"),
    ("secadmin", Role.SECURITY_ADMIN, None, "安全管理员"),
    ("auditadmin", Role.AUDIT_ADMIN, None, "审计管理员"),
    ("county1", Role.COUNTY_OFFICER, COUNTY_CODE, "王建国"),
    ("county2", Role.COUNTY_OFFICER, COUNTY_CODE, "李秀英"),
    ("township1", Role.TOWNSHIP_STAFF, "370283101000", "张伟"),
    ("village1", Role.VILLAGE_STAFF, "370283101201", "刘芳"),
    ("village2", Role.VILLAGE_STAFF, "370283101202", "陈明"),
    ("auditor", Role.AUDITOR, "370200000000", "赵敏"),
]


def seed_divisions() -> Division:
    province = get_or_create_division(code="370000000000", name="山东省", level=Level.PROVINCE, parent=None)
    city = get_or_create_division(code="370200000000", name="青岛市", level=Level.CITY, parent=province)
    county = get_or_create_division(code=COUNTY_CODE, name="平度市", level=Level.COUNTY, parent=city,
                                    population=1_050_000)
    for township_code, township_name, villages in TOWNSHIPS:
        township = get_or_create_division(code=township_code, name=township_name, level=Level.TOWNSHIP,
                                          parent=county, population=60_000)
        for index, village_name in enumerate(villages, start=1):
            code = township_code[:9] + f"{200 + index:03d}"
            get_or_create_division(code=code, name=village_name, level=Level.VILLAGE, parent=township,
                                   population=900 + 137 * index)
    return county


def seed_users() -> list[tuple[str, str, str]]:
    rows = []
    for username, role, code, display in DEMO_USERS:
        if not User.objects.filter(username=username).exists():
            division = Division.objects.get(code=code) if code else None
            user_create(actor=None, username=username, password=DEMO_PASSWORD, role=role,
                        division=division, first_name=display)
        rows.append((username, str(Role(role).label), code or "-"))
    return rows
