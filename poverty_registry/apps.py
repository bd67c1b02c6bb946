from django.apps import AppConfig


class PovertyRegistryConfig(AppConfig):
    name = "poverty_registry"

    def ready(self):
        from accounts.views import register_home_panel  # noqa: PLC0415  ready(): apps are loaded now
        from poverty_registry.panels import home_panel  # noqa: PLC0415  ready(): apps are loaded now

        register_home_panel(home_panel)
