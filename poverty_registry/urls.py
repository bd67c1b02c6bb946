app_name = "poverty_registry"
urlpatterns: list = []
