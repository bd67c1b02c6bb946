from django.apps import AppConfig
from django.core import checks
from django.utils.translation import gettext_lazy as _


class AuditConfig(AppConfig):
    name = "audit"
    verbose_name = _("Audit")

    def ready(self):
        from audit.feed import check_subscribers  # noqa: PLC0415  ready(): apps are loaded now

        checks.register(check_subscribers)
