from django.urls import path

from evidence import views

app_name = "evidence"
TARGET = "<str:target_type>/<int:target_id>/"
urlpatterns = [
    path(f"documents/{TARGET}", views.documents_page, name="documents"),
    path(f"panel/{TARGET}", views.documents_panel, name="documents_panel"),
    path(f"upload/{TARGET}", views.upload, name="upload"),
    path("file/<uuid:uuid>/", views.document_file, name="document_file"),
    path("file/<uuid:uuid>/thumbnail/", views.document_thumbnail, name="document_thumbnail"),
    path("file/<uuid:uuid>/delete/", views.document_delete, name="document_delete"),
    path("complaints/", views.complaints, name="complaints"),
    path("complaints/new/", views.complaint_create, name="complaint_create"),
    path("complaints/<int:pk>/", views.complaint_detail, name="complaint_detail"),
    path("complaints/<int:pk>/<str:action>/", views.complaint_action, name="complaint_action"),
]
