"""Request context (request id, client IP) for the audit log, idle sessions, login wall."""

import contextvars
import time
import uuid

from django.conf import settings
from django.contrib.auth import logout
from django.http import HttpResponseBadRequest, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _

from dibao.crypto import DecryptionFailed

_request_context: contextvars.ContextVar[dict | None] = contextvars.ContextVar("request_context", default=None)


def current_request_context() -> dict:
    """{"request_id": ..., "ip": ...} of the request being served, or {} outside one."""
    return _request_context.get() or {}


def client_ip(request) -> str | None:
    # Behind nginx the real address is the last hop it appended; REMOTE_ADDR otherwise.
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
    if forwarded and not settings.DEBUG:
        return forwarded.split(",")[-1].strip() or None
    return request.META.get("REMOTE_ADDR") or None


class RequestContextMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request_id = request.META.get("HTTP_X_REQUEST_ID") or uuid.uuid4().hex
        token = _request_context.set({"request_id": request_id[:64], "ip": client_ip(request)})
        try:
            if request.user.is_authenticated and hasattr(request, "session"):
                now = int(time.time())
                last_seen = request.session.get("last_seen")
                started = request.session.get("started_at")
                idle = last_seen and now - last_seen > settings.SESSION_IDLE_SECONDS
                # Saving the session pushes its database expiry forward, so the absolute
                # lifetime is checked here against the time of the first request.
                too_old = started and now - started > settings.SESSION_COOKIE_AGE
                if idle or too_old:
                    logout(request)
                else:
                    if not started:
                        request.session["started_at"] = now
                    # Write at most once a minute to keep session saves cheap.
                    if not last_seen or now - last_seen > 60:
                        request.session["last_seen"] = now
            response = self.get_response(request)
            response["X-Request-ID"] = request_id[:64]
            return response
        finally:
            _request_context.reset(token)


class LoginRequiredMiddleware:
    """Every page needs a login except the login page, language switch, static files, the API
    (which answers 401/403 itself) and the API schema/docs (public contract, no data)."""

    OPEN_PREFIXES = ("/static/", "/api/", "/i18n/", "/favicon.ico", "/healthz")

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        path = request.path_info
        if (
            request.user.is_authenticated
            or path.startswith(self.OPEN_PREFIXES)
            or path == reverse("login")
        ):
            return self.get_response(request)
        return redirect(f"{reverse('login')}?next={request.get_full_path()}")


class ChineseByDefaultMiddleware:
    """Chinese unless the user picked another language (the language cookie set by the switcher).

    The browser's Accept-Language is ignored on pages: office computers often run English-language
    browsers, and village staff should still see Chinese first. API clients keep Accept-Language.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if settings.LANGUAGE_COOKIE_NAME not in request.COOKIES and not request.path_info.startswith("/api/"):
            request.META.pop("HTTP_ACCEPT_LANGUAGE", None)
        return self.get_response(request)


class NulByteGuardMiddleware:
    """Refuse a NUL character in the path or query string with 400 before any view sees it.

    PostgreSQL text cannot hold NUL: a filter such as `?q=%00` would otherwise end in a 500. Form
    and JSON fields are already checked by Django's and DRF's CharField (ProhibitNullCharacters).
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if "\x00" in request.path or any("\x00" in key or any("\x00" in v for v in values)
                                         for key, values in request.GET.lists()):
            message = _("Null characters are not allowed.")
            if request.path.startswith("/api/"):
                return JsonResponse({"detail": message, "code": "null_characters_not_allowed"}, status=400)
            return HttpResponseBadRequest(message, content_type="text/plain; charset=utf-8")
        return self.get_response(request)


class DecryptionFailedMiddleware:
    """Stored data the configured keys cannot open (dibao.crypto.DecryptionFailed, already logged as an
    alert) answers a plain 503 page, or the API's JSON body, instead of a 500 on every request."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if not isinstance(exception, DecryptionFailed):
            return None
        if request.path.startswith("/api/"):
            response = JsonResponse({"detail": str(exception.message), "code": exception.code}, status=503)
        else:
            response = render(request, "503_keys.html", {"message": exception.message}, status=503)
        response["Retry-After"] = "300"
        response["Cache-Control"] = "no-store"
        return response
