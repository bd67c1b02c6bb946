"""Request context (request id, client IP) for the audit log, idle sessions, login wall."""

import contextvars
import logging
import time
import uuid

from django.conf import settings
from django.contrib.auth import logout
from django.http import HttpResponseBadRequest, JsonResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _

request_logger = logging.getLogger("dibao.request")

_request_context: contextvars.ContextVar[dict | None] = contextvars.ContextVar("request_context", default=None)


def current_request_context() -> dict:
    """{"request_id": ..., "ip": ..., "user_id": ...} of the request (or task) being served, or {} outside one."""
    return _request_context.get() or {}


def set_request_context(context: dict | None) -> contextvars.Token:
    """Bind a context (a Celery task carries its request's id); give the token to `reset_request_context`."""
    return _request_context.set(context)


def reset_request_context(token: contextvars.Token) -> None:
    _request_context.reset(token)


def client_ip(request) -> str | None:
    # Behind nginx the real address is the last hop it appended; REMOTE_ADDR otherwise.
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
    if forwarded and not settings.DEBUG:
        return forwarded.split(",")[-1].strip() or None
    return request.META.get("REMOTE_ADDR") or None


class RequestContextMiddleware:
    """Binds the request id (the client's X-Request-ID or a new one), the client address and the user's
    numeric id for the audit log, the logs and the tasks the request queues; ends idle sessions; writes
    one log line per request (method, path without its query, view, status, duration, user id)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        started_ns = time.monotonic_ns()
        request_id = _clean_request_id(request.META.get("HTTP_X_REQUEST_ID", "")) or uuid.uuid4().hex
        context = {"request_id": request_id, "ip": client_ip(request), "user_id": None}
        token = _request_context.set(context)
        response = None
        try:
            context["user_id"] = request.user.pk if request.user.is_authenticated else None
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
            response["X-Request-ID"] = request_id
            return response
        finally:
            user = getattr(request, "user", None)
            match = getattr(request, "resolver_match", None)
            request_logger.info(
                "request", extra={
                    "method": request.method, "path": request.path, "view": match.view_name if match else "",
                    "status": response.status_code if response is not None else 500,
                    "duration_ms": round((time.monotonic_ns() - started_ns) / 1e6, 1),
                    "user_id": user.pk if user is not None and user.is_authenticated else None,
                })
            _request_context.reset(token)


def _clean_request_id(value: str) -> str:
    # A client-supplied id is kept only when it is a plain token: it lands in logs and audit rows.
    value = value.strip()[:64]
    return value if value and all(c.isalnum() or c in "-_." for c in value) else ""


class LoginRequiredMiddleware:
    """Every page needs a login except the login page, language switch, static files, the API
    (which answers 401/403 itself) and the API schema/docs (public contract, no data)."""

    # /healthz and /readyz are for the load balancer; /metrics checks its own bearer token.
    OPEN_PREFIXES = ("/static/", "/api/", "/i18n/", "/favicon.ico", "/healthz", "/readyz", "/metrics")

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
