from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OverlapsConfig(AppConfig):
    name = "overlaps"
    verbose_name = _("Shared registry")

    def ready(self):
        from accounts.views import register_home_panel
        from overlaps.views import home_panel

        register_home_panel(home_panel)
