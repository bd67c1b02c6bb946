from django.apps import AppConfig


class HouseholdsConfig(AppConfig):
    name = "households"

    def ready(self):
        from households import views  # noqa: F401  registers the home panel
