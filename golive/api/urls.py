from django.urls import path

from golive.api import views

urlpatterns = [
    path("roster-imports/", views.RosterImportView.as_view(), name="api-roster-import"),
    path("roster-imports/<int:pk>/", views.RosterBatchView.as_view(), name="api-roster-batch"),
    path("roster-imports/<int:pk>/confirm/", views.RosterConfirmView.as_view(), name="api-roster-confirm"),
    path("roster-imports/<int:pk>/undo/", views.RosterUndoView.as_view(), name="api-roster-undo"),
    path("roster-imports/<int:pk>/discard/", views.RosterDiscardView.as_view(), name="api-roster-discard"),
]
