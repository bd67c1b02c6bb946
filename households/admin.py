from django.contrib import admin

from accounts.admin import AuditedAdminMixin
from households.models import IncomePolicy, Standard


@admin.register(Standard)
class StandardAdmin(AuditedAdminMixin, admin.ModelAdmin):
    audit_prefix = "standard"
    list_display = ["county", "monthly_amount", "effective_from"]
    raw_id_fields = ["county"]
    exclude = ["created_by"]


@admin.register(IncomePolicy)
class IncomePolicyAdmin(AuditedAdminMixin, admin.ModelAdmin):
    audit_prefix = "income_policy"
    list_display = ["county", "effective_from", "work_cost_mode", "work_cost_percent", "financial_asset_months"]
    raw_id_fields = ["county"]
