"""What a locked-out login sees (settings.AXES_LOCKOUT_CALLABLE): django-axes has locked the username at
this address after AXES_FAILURE_LIMIT failures.

The login page answers 429 with a page in plain words - how long the lock lasts and whom to call
(settings.LOCKOUT_CONTACT, else "your security administrator") - and the API answers 429 in JSON with
the same message, a code and Retry-After. The lockout itself is audited by accounts.signals.
"""

import math

from axes.helpers import get_client_username, get_cool_off
from django.conf import settings
from django.http import JsonResponse
from django.shortcuts import render
from django.utils.translation import gettext as _

STATUS = 429


def lockout_minutes(request) -> int:
    cool_off = get_cool_off(request)
    return max(1, math.ceil(cool_off.total_seconds() / 60)) if cool_off else 0


def lockout_message(minutes: int) -> str:
    contact = settings.LOCKOUT_CONTACT or _("your security administrator")
    if minutes:
        return _("Too many failed logins: this account is locked at this computer for %(minutes)d minutes. "
                 "Wait and try again, or call %(contact)s to unlock it sooner.") % {"minutes": minutes,
                                                                                      "contact": contact}
    return _("Too many failed logins: this account is locked at this computer. Call %(contact)s to unlock it.") % {
        "contact": contact}


def lockout_response(request, original_response=None, credentials=None):
    minutes = lockout_minutes(request)
    message = lockout_message(minutes)
    if request.path_info.startswith("/api/"):
        response = JsonResponse({"detail": message, "code": "locked_out", "retry_after_minutes": minutes},
                                status=STATUS)
        if minutes:
            response["Retry-After"] = str(minutes * 60)
        return response
    response = render(request, settings.AXES_LOCKOUT_TEMPLATE, {
        "minutes": minutes, "contact": settings.LOCKOUT_CONTACT, "message": message,
        "username": get_client_username(request, credentials) or ""}, status=STATUS)
    if minutes:
        response["Retry-After"] = str(minutes * 60)
    return response
