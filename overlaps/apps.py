from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OverlapsConfig(AppConfig):
    name = "overlaps"
    verbose_name = _("Shared registry")

    def ready(self):
        from accounts.views import register_home_panel  # noqa: PLC0415  ready(): apps are loaded now
        from overlaps.views import home_panel  # noqa: PLC0415  ready(): apps are loaded now

        register_home_panel(home_panel)
