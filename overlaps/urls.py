from django.urls import path

from overlaps import views

app_name = "overlaps"
urlpatterns = [
    path("", views.flag_list, name="list"),
    path("<int:pk>/", views.flag_detail, name="detail"),
    path("scan/", views.scan_start, name="scan"),
    path("watch-list/", views.watch_list, name="watch_list"),
    path("counts/<str:kind>/<int:pk>/", views.counts_fragment, name="counts"),
]
