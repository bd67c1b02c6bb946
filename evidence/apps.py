from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class EvidenceConfig(AppConfig):
    name = "evidence"
    verbose_name = _("Documents and complaints")

    def ready(self):
        from accounts.views import register_home_panel
        from evidence.views import complaints_home_panel

        register_home_panel(complaints_home_panel)

        # The workflow's guards: required documents, and a county visit after a complaint.
        from cases import services as case_services
        from cases import workflow
        from evidence import guards

        workflow.register_guard("submit", guards.guard_submit_documents)
        case_services.SUBMIT_CHECKLIST.append(guards.missing_documents_for_submit)
        workflow.register_guard("visits", guards.guard_signed_visit_record)
        workflow.register_guard("approve", guards.guard_decision_after_complaint)
        workflow.register_guard("reject", guards.guard_decision_after_complaint)
