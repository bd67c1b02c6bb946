"""Deploy check (manage.py check --deploy): the Django superuser is not used in production (三员分立).

A superuser passes every permission, so the three administrators' separation would mean nothing. In
production (DEBUG off) an active superuser is an error; a superuser anywhere is a warning.
"""

from django.conf import settings
from django.core import checks
from django.db import DatabaseError

from accounts.models import User


def check_no_superuser_in_production(app_configs=None, databases=None, **kwargs) -> list:
    try:
        superusers = list(User.objects.filter(is_superuser=True).values_list("username", "is_active"))
    except DatabaseError:  # no database yet (first deploy, before migrate): nothing to check
        return []
    if not superusers:
        return []
    names = ", ".join(name for name, _ in superusers)
    hint = ("Give the work to the system, security and audit administrators (roles admin, security_admin, "
            "audit_admin) and remove the superuser flag: manage.py create_administrator.")
    if not settings.DEBUG and any(active for _, active in superusers):
        return [checks.Error(f"Active Django superusers exist in production: {names}.", hint=hint,
                             id="accounts.E001")]
    return [checks.Warning(f"Django superusers exist: {names}.", hint=hint, id="accounts.W001")]
