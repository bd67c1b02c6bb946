from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OverlapsConfig(AppConfig):
    name = "overlaps"
    verbose_name = _("Shared registry")

    def ready(self):
        from accounts.views import register_home_panel
        from overlaps.views import home_panel

        register_home_panel(home_panel)

        from cases import workflow
        from overlaps.guards import guard_double_dibao

        workflow.register_guard("approve", guard_double_dibao)
