from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class EvidenceConfig(AppConfig):
    name = "evidence"
    verbose_name = _("Documents and complaints")

    def ready(self):
        from accounts.views import register_home_panel
        from evidence.views import complaints_home_panel

        register_home_panel(complaints_home_panel)
