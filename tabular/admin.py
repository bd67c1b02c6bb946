from django.contrib import admin

from tabular.models import Synonym


@admin.register(Synonym)
class SynonymAdmin(admin.ModelAdmin):
    list_display = ("synonym", "column", "value", "file_kind", "county_code", "created_at")
    list_filter = ("file_kind", "column")
    search_fields = ("synonym", "column", "value", "county_code")
