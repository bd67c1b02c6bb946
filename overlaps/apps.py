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

        # Incremental checks of the affected persons after household changes and case transitions.
        from households import services as household_services
        from overlaps.services import queue_household_check

        household_services.CHANGE_LISTENERS.append(queue_household_check)
        workflow.AFTER_COMMIT.append(lambda case, action: queue_household_check(case.household))
