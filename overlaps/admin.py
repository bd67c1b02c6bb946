from django.contrib import admin

from accounts.admin import AuditedAdminMixin
from overlaps.models import OverlapPolicy


@admin.register(OverlapPolicy)
class OverlapPolicyAdmin(AuditedAdminMixin, admin.ModelAdmin):
    audit_prefix = "overlap_policy"
    list_display = ["county", "effective_from"]
    raw_id_fields = ["county"]
