from django.contrib import admin

from accounts.admin import AuditedAdminMixin
from recipients.models import RecipientPolicy


@admin.register(RecipientPolicy)
class RecipientPolicyAdmin(AuditedAdminMixin, admin.ModelAdmin):
    """County configuration (review intervals, gradual-exit schedules): an admin's job, like standards."""

    audit_prefix = "recipient_policy"
    list_display = ["county", "effective_from", "review_months_a", "review_months_b", "review_months_c",
                    "gradual_exit_schedule"]
    list_filter = ["county"]
