from django.apps import AppConfig


class PovertyRegistryConfig(AppConfig):
    name = "poverty_registry"

    def ready(self):
        from accounts.views import register_home_panel
        from poverty_registry.views import home_panel

        register_home_panel(home_panel)
