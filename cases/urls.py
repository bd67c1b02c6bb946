from django.urls import path

from cases import views

app_name = "cases"
urlpatterns = [
    path("", views.case_list_view, name="list"),
    path("new/", views.case_create_view, name="create"),
    path("<int:pk>/", views.case_detail_view, name="detail"),
    path("household/<int:household_pk>/", views.household_cases_panel, name="household_panel"),
    path("<int:pk>/edit/", views.case_edit_view, name="edit"),
    path("<int:pk>/notice/", views.notice_print_view, name="notice"),
    path("<int:pk>/letter/", views.decision_letter_view, name="letter"),
    path("<int:pk>/<slug:slug>/", views.case_action_view, name="action"),
]
