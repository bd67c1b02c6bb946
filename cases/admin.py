"""County configuration editable by admins: the holiday table and the case policy."""

from django.contrib import admin

from accounts.admin import AuditedAdminMixin
from cases.models import CasePolicy, Holiday


@admin.register(Holiday)
class HolidayAdmin(AuditedAdminMixin, admin.ModelAdmin):
    """Seeded from chinesecalendar; add next year's schedule here when the State Council publishes it."""

    audit_prefix = "holiday"
    list_display = ["date", "kind", "name"]
    list_filter = ["kind"]
    date_hierarchy = "date"
    search_fields = ["name"]


@admin.register(CasePolicy)
class CasePolicyAdmin(AuditedAdminMixin, admin.ModelAdmin):
    audit_prefix = "case_policy"
    list_display = ["county", "effective_from"]
    raw_id_fields = ["county"]
