from django.apps import AppConfig
from django.core import checks


class AuditConfig(AppConfig):
    name = "audit"

    def ready(self):
        from audit.feed import check_subscribers

        checks.register(check_subscribers)
