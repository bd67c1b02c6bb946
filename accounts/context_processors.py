from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from accounts.models import Role

# (url name, label, roles that see it).
NAV_ITEMS = [
    ("home", _("Work queue"), None),
    ("households:list", _("Households"), {Role.VILLAGE_STAFF, Role.TOWNSHIP_STAFF, Role.COUNTY_OFFICER, Role.AUDITOR}),
    ("cases:list", _("Cases"), {Role.VILLAGE_STAFF, Role.TOWNSHIP_STAFF, Role.COUNTY_OFFICER, Role.AUDITOR}),
    ("recipients:reviews", _("Reviews"), {Role.COUNTY_OFFICER, Role.AUDITOR}),
    ("recipients:payment_rolls", _("Payment rolls"), {Role.COUNTY_OFFICER, Role.AUDITOR}),
    ("poverty_registry:list", _("Poverty registry"), {Role.COUNTY_OFFICER, Role.AUDITOR}),
    ("evidence:complaints", _("Complaints"), {Role.COUNTY_OFFICER, Role.AUDITOR}),
    ("overlaps:list", _("Findings"), {Role.VILLAGE_STAFF, Role.TOWNSHIP_STAFF, Role.COUNTY_OFFICER, Role.AUDITOR}),
    ("reports:dashboard", _("Dashboard"), {Role.COUNTY_OFFICER, Role.AUDITOR}),
    ("audit:list", _("Audit log"), {Role.AUDITOR, Role.AUDIT_ADMIN}),
]
# Items the system administrator's pass does not open (三员分立: the audit log is the audit side's).
EXACT_ROLE_ITEMS = {"audit:list"}


def navigation(request):
    user = getattr(request, "user", None)
    if not user or not user.is_authenticated:
        return {"nav_items": []}
    items = []
    for name, label, roles in NAV_ITEMS:
        if roles is not None and user.role not in roles and (name in EXACT_ROLE_ITEMS or not user.is_admin_role):
            continue
        url = reverse(name)
        items.append({"url": url, "label": label, "active": request.path == url or (url != "/" and request.path.startswith(url))})
    return {"nav_items": items}
