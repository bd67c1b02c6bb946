from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.utils.translation import gettext_lazy as _

from accounts.models import Division, User


@admin.register(Division)
class DivisionAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "level", "parent", "population"]
    list_filter = ["level"]
    search_fields = ["code", "name"]
    raw_id_fields = ["parent"]


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    list_display = ["username", "first_name", "last_name", "role", "division", "is_active"]
    list_filter = ["role", "is_active"]
    raw_id_fields = ["division"]
    fieldsets = BaseUserAdmin.fieldsets + ((_("Role and area"), {"fields": ("role", "division")}),)
    add_fieldsets = BaseUserAdmin.add_fieldsets + ((_("Role and area"), {"fields": ("role", "division")}),)
