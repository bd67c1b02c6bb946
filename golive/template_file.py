"""The roster file's XLSX template (example row and notes); written by tabular.workbooks."""

from django.utils.translation import gettext as _

from golive.layout import LAYOUT
from tabular.workbooks import template_bytes

EXAMPLE = {
    "household_code": "370283-0001", "village_code": "370283101201", "address": "东关村3组12号",
    "phone": "13800000000", "member_name": "张三", "id_number": "11010519491231002X", "relationship": "户主",
    "is_head": "是", "health": "重病", "disability_grade": "", "labour_capacity": "部分丧失劳动能力",
    "category": "A", "monthly_amount": "900", "approved_on": "2023-05-10", "individual_inclusion": "否",
    "gradual_exit_until": "", "next_review_on": "2026-05-01", "bank_name": "农村商业银行",
    "bank_account": "6228480000000000",
}


def notes() -> dict:
    return {
        "household_code": _("The household's code in the previous system; the same code on every member row."),
        "village_code": _("The village's 12-digit division code (inside your county)."),
        "id_number": _("18-character resident ID number."),
        "category": _("A, B or C for a recipient household; empty for a household without a case (edge household)."),
        "monthly_amount": _("Yuan per month for the household; repeat on every member row."),
        "approved_on": _("Approval date, YYYY-MM-DD."),
        "individual_inclusion": _("是 on the member covered alone (individual inclusion)."),
        "gradual_exit_until": _("Last month of a gradual exit under way, YYYY-MM; else empty."),
        "next_review_on": _("YYYY-MM-DD; empty: computed from the category."),
    }


def roster_template() -> bytes:
    return template_bytes(LAYOUT, example=EXAMPLE, notes=notes(), title="低保对象花名册")
