from django.urls import path

from golive import views

app_name = "golive"
urlpatterns = [
    path("", views.golive_index, name="index"),
    path("template.xlsx", views.golive_template, name="template"),
    path("roster.xlsx", views.golive_export, name="export"),
    path("<int:pk>/", views.golive_batch, name="batch"),
    path("<int:pk>/confirm/", views.golive_confirm, name="confirm"),
    path("<int:pk>/undo/", views.golive_undo, name="undo"),
    path("<int:pk>/discard/", views.golive_discard, name="discard"),
    path("<int:pk>/errors.csv", views.golive_errors, name="errors"),
]
