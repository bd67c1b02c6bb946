from django.contrib.auth.forms import AuthenticationForm
from django.utils.translation import gettext_lazy as _


class LoginForm(AuthenticationForm):
    error_messages = {
        # One message for a wrong username or a wrong password: no hint which part was wrong.
        "invalid_login": _("The username or password is not correct."),
        "inactive": _("This account is disabled. Ask your administrator."),
    }
