from django.urls import path

from reports.api import views

urlpatterns = [
    path("exports/", views.ExportListView.as_view(), name="api-exports"),
    path("exports/<int:pk>/", views.ExportDetailView.as_view(), name="api-export"),
    path("exports/<int:pk>/download/", views.ExportDownloadView.as_view(), name="api-export-download"),
]
