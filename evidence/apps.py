from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class EvidenceConfig(AppConfig):
    name = "evidence"
    verbose_name = _("Documents and complaints")

    def ready(self):
        from accounts.views import register_home_panel  # noqa: PLC0415  ready(): apps are loaded now
        from evidence.views import complaints_home_panel  # noqa: PLC0415  ready(): apps are loaded now

        register_home_panel(complaints_home_panel)
