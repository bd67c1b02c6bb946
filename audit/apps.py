from django.apps import AppConfig
from django.core import checks


class AuditConfig(AppConfig):
    name = "audit"

    def ready(self):
        from audit.feed import check_subscribers  # noqa: PLC0415  ready(): apps are loaded now

        checks.register(check_subscribers)
