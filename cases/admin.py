"""County configuration editable by admins: the holiday table, the case policy and the issuing office."""

from django.contrib import admin

from accounts.admin import AuditedAdminMixin
from cases.models import CasePolicy, CountyOffice, DocumentNumber, Holiday


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


@admin.register(CountyOffice)
class CountyOfficeAdmin(AuditedAdminMixin, admin.ModelAdmin):
    """What the county's documents print: issuing office, supervision phone, seal text, document-number prefix."""

    audit_prefix = "county_office"
    list_display = ["county", "issuing_office", "supervision_phone", "number_prefix"]
    raw_id_fields = ["county"]


@admin.register(DocumentNumber)
class DocumentNumberAdmin(admin.ModelAdmin):
    """Read only: numbers are allocated by the decisions, never edited or reused."""

    list_display = ["text", "county", "year", "number", "decision", "allocated_at"]
    list_filter = ["year"]
    search_fields = ["text"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
