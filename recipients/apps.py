from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RecipientsConfig(AppConfig):
    name = "recipients"
    verbose_name = _("Recipients")

    def ready(self):
        from accounts.views import register_home_panel  # noqa: PLC0415  ready(): apps are loaded now
        from recipients.views import home_panel  # noqa: PLC0415  ready(): apps are loaded now

        register_home_panel(home_panel)
