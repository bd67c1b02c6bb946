"""Sign-in events into the audit log (GB/T 22239 8.1.4.3 security audit; ASVS V7.2): every login, failed
login, lockout and logout, with the client address. Tokens and the second factor record theirs in
accounts/tokens.py and accounts/otp.py. Connected in AccountsConfig.ready(); a test removes nothing."""

from axes.signals import user_locked_out
from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.dispatch import receiver

from accounts.auth import count_login_failure
from audit.services import record_login_event
from dibao.middleware import client_ip


def _username(credentials: dict | None) -> str:
    return str((credentials or {}).get("username") or "")[:150]


@receiver(user_logged_in, dispatch_uid="accounts.audit_login")
def on_login(sender, request, user, **kwargs):
    # Only a session login over HTTP: the token endpoint records auth.token_issue instead, and a login
    # made without a client (the test client's force_login, a shell) has no address and is no sign-in.
    if request is not None and hasattr(request, "session") and request.META.get("REMOTE_ADDR"):
        record_login_event(action="auth.login", user=user)


@receiver(user_login_failed, dispatch_uid="accounts.audit_login_failed")
def on_login_failed(sender, credentials, request=None, **kwargs):
    username = _username(credentials)
    if request is not None:
        count_login_failure(ip=client_ip(request), username=username)
    record_login_event(action="auth.login_failed", username=username)


@receiver(user_logged_out, dispatch_uid="accounts.audit_logout")
def on_logout(sender, request, user, **kwargs):
    if user is not None:
        record_login_event(action="auth.logout", user=user)


@receiver(user_locked_out, dispatch_uid="accounts.audit_lockout")
def on_lockout(sender, request, username, ip_address, **kwargs):
    record_login_event(action="auth.lockout", username=str(username or "")[:150],
                       detail={"locked_ip": ip_address})
