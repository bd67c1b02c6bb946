"""Home-page panel; imported at start-up, so it stays light (no import machinery)."""

from django.db.models import Count, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Role
from accounts.scoping import scope_queryset
from poverty_registry.models import RegistryHousehold, RegistryStatus


def home_panel(request):
    """Work-queue panel for county officers and auditors: this year's roster at a glance (one query)."""
    user = request.user
    if not user.is_authenticated or not user.has_role(Role.COUNTY_OFFICER, Role.AUDITOR):
        return None
    year = timezone.localdate().year
    qs = scope_queryset(user, RegistryHousehold.objects.filter(year=year))
    counts = qs.aggregate(total=Count("id"), monitored=Count("id", filter=Q(status=RegistryStatus.MONITORED)))
    base = reverse("poverty_registry:list")
    return {"title": _("Poverty registry %(year)d") % {"year": year}, "items": [
        {"label": _("Registered households"), "count": counts["total"], "url": f"{base}?year={year}", "alert": False},
        {"label": _("Monitored households"), "count": counts["monitored"],
         "url": f"{base}?year={year}&status=monitored", "alert": False},
    ]}
