from django.urls import path

from audit import views

app_name = "audit"
urlpatterns = [
    path("", views.event_list, name="list"),
    path("history/<str:object_type>/<str:object_id>/", views.object_history, name="object_history"),
]
