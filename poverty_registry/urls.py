from django.urls import path

from poverty_registry import views

app_name = "poverty_registry"
urlpatterns = [
    path("", views.registry_list, name="list"),
    path("import/", views.registry_import, name="import"),
    path("<int:pk>/", views.registry_detail, name="detail"),
    path("import/<int:pk>/removals/confirm/", views.import_removals_confirm, name="import_removals_confirm"),
]
