from django.urls import path

from reports import views

app_name = "reports"
urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("reports/", views.report_index, name="index"),
    path("reports/<str:key>/", views.report, name="report"),
    path("reports/<str:key>/export/", views.export, name="export"),
    path("exports/<int:pk>/", views.export_detail, name="export_detail"),
    path("exports/<int:pk>/download/", views.export_download, name="export_download"),
]
