from django.apps import AppConfig
from django.core import checks
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = _("Users and divisions")

    def ready(self):
        from accounts import signals  # noqa: F401, PLC0415  ready(): connects the sign-in audit receivers
        from accounts.checks import check_no_superuser_in_production  # noqa: PLC0415  ready(): apps loaded

        checks.register(check_no_superuser_in_production, checks.Tags.security, deploy=True)
