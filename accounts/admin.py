from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.utils.translation import gettext_lazy as _

from accounts.models import Division, Role, User
from audit import services as audit


class AuditedAdminMixin:
    """Changes made in the Django admin land in the audit log like every service write."""

    audit_prefix = ""
    audit_skip_fields = {"password", "password1", "password2", "last_login"}

    def _division_code(self, obj) -> str:
        if isinstance(obj, Division):
            return obj.code
        for attr in ("division", "county"):
            related = getattr(obj, attr, None)
            if isinstance(related, Division):
                return related.code
        return getattr(obj, "division_code", "") or ""

    def save_model(self, request, obj, form, change):
        fields = [f for f in form.changed_data if f not in self.audit_skip_fields]
        before = {}
        if change and fields:
            old = type(obj).objects.filter(pk=obj.pk).values(*[f for f in fields if hasattr(obj, f)]).first() or {}
            before = old
        super().save_model(request, obj, form, change)
        after = {f: form.cleaned_data.get(f) for f in fields}
        if "password" in form.changed_data or "password1" in form.changed_data:
            after["password"] = "(changed)"
        audit.record(actor=request.user, action=f"{self.audit_prefix}.{'admin_change' if change else 'admin_create'}",
                     obj=obj, division_code=self._division_code(obj), before=before or None, after=after)

    def delete_queryset(self, request, queryset):
        for obj in queryset:
            self.delete_model(request, obj)

    def delete_model(self, request, obj):
        audit.record(actor=request.user, action=f"{self.audit_prefix}.admin_delete", obj=obj,
                     division_code=self._division_code(obj), before={"str": str(obj)})
        super().delete_model(request, obj)


@admin.register(Division)
class DivisionAdmin(AuditedAdminMixin, admin.ModelAdmin):
    audit_prefix = "division"
    list_display = ["code", "name", "level", "parent", "population"]
    list_filter = ["level"]
    search_fields = ["code", "name"]
    raw_id_fields = ["parent"]


@admin.register(User)
class UserAdmin(AuditedAdminMixin, BaseUserAdmin):
    audit_prefix = "user"
    list_display = ["username", "first_name", "last_name", "role", "division", "is_active"]
    list_filter = ["role", "is_active"]
    raw_id_fields = ["division"]
    fieldsets = BaseUserAdmin.fieldsets + ((_("Role and area"), {"fields": ("role", "division")}),)
    add_fieldsets = BaseUserAdmin.add_fieldsets + ((_("Role and area"), {"fields": ("role", "division")}),)
    # Roles and privileges are the security administrator's (三员分立, API: POST /api/v1/users/{id}/role/).
    privilege_fields = ("role", "is_superuser", "is_staff", "groups", "user_permissions")

    def get_readonly_fields(self, request, obj=None):
        fields = list(super().get_readonly_fields(request, obj))
        if obj is not None and not (request.user.is_superuser and request.user.role == Role.ADMIN):
            fields += [f for f in self.privilege_fields if f not in fields]
        return fields
