app_name = "overlaps"
urlpatterns: list = []
