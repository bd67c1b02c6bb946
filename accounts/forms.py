from django.contrib.auth.forms import AuthenticationForm
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from accounts.auth import login_blocked, login_blocked_message
from dibao.middleware import client_ip


class LoginForm(AuthenticationForm):
    error_messages = {
        # One message for a wrong username or a wrong password: no hint which part was wrong.
        "invalid_login": _("The username or password is not correct."),
        "inactive": _("This account is disabled. Ask your administrator."),
    }

    def clean(self):
        # Password spraying from one address, or guessing one account from many: refused before the
        # password is checked (accounts/auth.py), with the same answer for every username.
        username = (self.cleaned_data.get("username") or "")[:150]
        if self.request is not None and login_blocked(ip=client_ip(self.request), username=username):
            raise ValidationError(login_blocked_message(), code="too_many_failures")
        return super().clean()
