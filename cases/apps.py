from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CasesConfig(AppConfig):
    name = "cases"
    verbose_name = _("Cases")

    def ready(self):
        from accounts.views import register_home_panel
        from cases.panels import cases_panel

        register_home_panel(cases_panel)
