from django.apps import AppConfig
from django.core import checks
from django.utils.translation import gettext_lazy as _


class CasesConfig(AppConfig):
    name = "cases"
    verbose_name = _("Cases")

    def ready(self):
        from accounts.views import register_home_panel  # noqa: PLC0415  ready(): apps are loaded now
        from cases.checks import check_workflow_table  # noqa: PLC0415  ready(): apps are loaded now
        from cases.panels import cases_panel  # noqa: PLC0415  ready(): apps are loaded now

        register_home_panel(cases_panel)
        checks.register(check_workflow_table)
