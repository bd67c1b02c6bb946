"""Request context (request id, client IP) for the audit log, idle sessions, login wall, response headers."""

import contextvars
import ipaddress
import logging
import time
import uuid
from functools import lru_cache

from django.conf import settings
from django.contrib.auth import logout
from django.http import HttpResponseBadRequest, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.cache import add_never_cache_headers
from django.utils.translation import gettext as _

from dibao.crypto import DecryptionFailed

request_logger = logging.getLogger("dibao.request")

_request_context: contextvars.ContextVar[dict | None] = contextvars.ContextVar("request_context", default=None)


def current_request_context() -> dict:
    """{"request_id": ..., "ip": ..., "user_id": ...} of the request (or task) being served, or {} outside one."""
    return _request_context.get() or {}


@lru_cache(maxsize=8)
def _networks(proxies: tuple[str, ...]) -> tuple:
    return tuple(ipaddress.ip_network(p, strict=False) for p in proxies)


def _parse_ip(value: str):
    try:
        return ipaddress.ip_address(value.strip())
    except ValueError:
        return None


def is_trusted_proxy(address) -> bool:
    return address is not None and any(address in net for net in _networks(tuple(settings.TRUSTED_PROXIES)))


def set_request_context(context: dict | None) -> contextvars.Token:
    """Bind a context (a Celery task carries its request's id); give the token to `reset_request_context`."""
    return _request_context.set(context)


def reset_request_context(token: contextvars.Token) -> None:
    _request_context.reset(token)


def client_ip(request) -> str | None:
    """The client's address, for the audit log, the lockout and the rate limits (one function for all).

    X-Forwarded-For is believed only when the direct peer (REMOTE_ADDR) is one of settings.TRUSTED_PROXIES;
    then the address is the right-most entry that is not itself a trusted proxy (entries to its left were
    written by the client and prove nothing). Anyone reaching the app directly is known by REMOTE_ADDR,
    whatever headers they send.
    """
    peer = _parse_ip(request.META.get("REMOTE_ADDR") or "")
    if peer is None:
        return None
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
    if not forwarded or not is_trusted_proxy(peer):
        return str(peer)
    for entry in reversed(forwarded.split(",")):
        hop = _parse_ip(entry)
        if hop is None:
            return str(peer)  # a malformed hop: do not guess past it
        if not is_trusted_proxy(hop):
            return str(hop)
    return str(peer)


class ResponseHardeningMiddleware:
    """Outermost: no response that may carry personal data is kept by a browser or proxy cache
    (`Cache-Control: no-store` on everything but static files), and no `Server` banner."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if not request.path_info.startswith("/static/"):
            add_never_cache_headers(response)
        if "Server" in response:
            del response["Server"]
        return response


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
