"""Django-admin permissions of the three administrators (三员分立), given by role rather than by hand.

The system administrator configures (users, divisions, standards and the other domain tables the admin
shows); the security administrator handles lockouts, tokens and second-factor devices; the audit
administrator only reads the audit and access logs and the login attempts. No role gets the others' apps.
"""

from django.contrib.auth.backends import BaseBackend

from accounts.models import Role

_ALL = ("add", "change", "delete", "view")
GRANTS: dict[str, dict[str, tuple[str, ...]]] = {
    Role.ADMIN: {app: _ALL for app in ("accounts", "households", "cases", "recipients", "evidence",
                                       "poverty_registry", "overlaps", "reports", "jobs")},
    Role.SECURITY_ADMIN: {"axes": _ALL, "otp_totp": ("view", "delete"), "otp_static": ("view", "delete"),
                          "accounts": ("view",)},
    Role.AUDIT_ADMIN: {"audit": ("view",), "axes": ("view",)},
}


class RolePermissionBackend(BaseBackend):
    def _grants(self, user_obj) -> dict:
        if not user_obj.is_active or user_obj.is_anonymous:
            return {}
        return GRANTS.get(getattr(user_obj, "role", ""), {})

    def has_perm(self, user_obj, perm, obj=None):
        app, _, codename = perm.partition(".")
        verb, _, model = codename.partition("_")
        verbs = self._grants(user_obj).get(app, ())
        if app == "accounts" and user_obj.role == Role.SECURITY_ADMIN:
            # Accounts to look at, tokens to end; divisions are the system administrator's.
            verbs = {"user": ("view",), "apitoken": ("view", "delete")}.get(model, ())
        elif app == "accounts" and model == "apitoken":
            verbs = ()
        return verb in verbs

    def has_module_perms(self, user_obj, app_label):
        return bool(self._grants(user_obj).get(app_label))
