from django.apps import AppConfig


class HouseholdsConfig(AppConfig):
    name = "households"

    def ready(self):
        from households import views  # noqa: F401, PLC0415  ready(): registers the home panel
