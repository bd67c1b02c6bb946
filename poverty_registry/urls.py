from django.urls import path

from poverty_registry import views

app_name = "poverty_registry"
# The registration page (name "detail") is served by overlaps, see dibao/urls.py.
urlpatterns = [
    path("", views.registry_list, name="list"),
    path("import/", views.registry_import, name="import"),
    path("import/template.xlsx", views.registry_template, name="template"),
    path("import/<int:pk>/removals/confirm/", views.import_removals_confirm, name="import_removals_confirm"),
]
