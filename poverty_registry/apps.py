from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PovertyRegistryConfig(AppConfig):
    name = "poverty_registry"
    verbose_name = _("Poverty-alleviation roster")

    def ready(self):
        from accounts.views import register_home_panel  # noqa: PLC0415  ready(): apps are loaded now
        from poverty_registry.panels import home_panel  # noqa: PLC0415  ready(): apps are loaded now

        register_home_panel(home_panel)
