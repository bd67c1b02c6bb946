"""The shared registry's say in the case workflow (the approve row of cases.workflow.TRANSITIONS names it)."""

from django.utils.translation import gettext as _

from dibao.errors import DomainError
from overlaps.selectors import case_has_open_double_dibao


def guard_double_dibao(case, actor, data) -> None:
    """Approving while a member is in another open dibao case needs a written override reason."""
    if case_has_open_double_dibao(case) and not (data.get("findings_override_reason") or "").strip():
        message = _("A member of this household is in another open dibao case (open DOUBLE_DIBAO finding). "
                    "Resolve the finding first, or give a written reason to approve anyway.")
        raise DomainError(message, code="open_double_dibao", fields={"findings_override_reason": [message]})
