from django.urls import path

from recipients import views

app_name = "recipients"
urlpatterns = [
    path("reviews/", views.review_queue, name="reviews"),
    path("reviews/<int:pk>/", views.review_detail, name="review"),
    path("reviews/<int:pk>/confirm-amount/", views.review_confirm_amount, name="review_confirm_amount"),
    path("cases/<int:case_id>/report-change/", views.report_change, name="report_change"),
    path("cases/<int:case_id>/exit/", views.exit_form, name="exit"),
    path("exits/<int:pk>/notice/", views.exit_notice, name="exit_notice"),
    path("payment-rolls/", views.roll_list, name="payment_rolls"),
    path("payment-rolls/<int:pk>/", views.roll_detail, name="payment_roll"),
    path("payment-rolls/<int:pk>/<str:action>/", views.roll_action, name="payment_roll_action"),
    path("payment-rolls/<int:pk>/export.<str:fmt>", views.roll_export, name="payment_roll_export"),
]
