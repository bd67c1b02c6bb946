from django.urls import path

from cases import views
from cases.documents import views as documents

app_name = "cases"
urlpatterns = [
    path("", views.case_list_view, name="list"),
    path("new/", views.case_create_view, name="create"),
    path("<int:pk>/", views.case_detail_view, name="detail"),
    path("batch/<slug:slug>/", views.batch_view, name="batch"),
    path("household/<int:household_pk>/", views.household_cases_panel, name="household_panel"),
    path("<int:pk>/edit/", views.case_edit_view, name="edit"),
    path("forms/<slug:kind>/", documents.blank_form_view, name="blank_form"),
    path("notice-board/<str:code>/", documents.notice_board_view, name="notice_board"),
    path("<int:pk>/notice/", documents.notice_print_view, name="notice"),
    path("<int:pk>/letter/", documents.decision_letter_view, name="letter"),
    path("<int:pk>/documents/visit-record/", documents.visit_record_view, name="visit_record"),
    path("<int:pk>/documents/review-form/", documents.review_form_view, name="review_form"),
    path("<int:pk>/<slug:slug>/", views.case_action_view, name="action"),
]
