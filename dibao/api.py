"""API plumbing shared by every app: pagination and the error shape of DESIGN.md.

Errors look like {"detail": ..., "code": ...}; validation errors add the field errors
{"field": ["message"]} beside them.
"""

from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404, JsonResponse
from django.utils.translation import gettext as _
from django.views import defaults
from rest_framework import exceptions, status
from rest_framework.pagination import PageNumberPagination
from rest_framework.response import Response
from rest_framework.throttling import SimpleRateThrottle
from rest_framework.views import exception_handler as drf_exception_handler

from dibao.cache import cache_get, cache_set
from dibao.errors import DomainError
from dibao.middleware import client_ip


class Pagination(PageNumberPagination):
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 500


def _first_code(detail):
    if isinstance(detail, dict):
        for value in detail.values():
            return _first_code(value)
    if isinstance(detail, list) and detail:
        return _first_code(detail[0])
    return getattr(detail, "code", None) or "invalid"


def _field_errors(detail) -> dict:
    if isinstance(detail, dict):
        return {key: value for key, value in detail.items()}
    if isinstance(detail, list):
        return {"non_field_errors": detail}
    return {"non_field_errors": [detail]}


def exception_handler(exc, context):
    if isinstance(exc, Http404):
        # NotFound (a DomainError) and Django's Http404 give DRF's one 404 body: missing and out of
        # scope must not be told apart by the body either.
        exc = exceptions.NotFound()
    elif isinstance(exc, DomainError):
        body = {"detail": str(exc.message), "code": exc.code}
        for field, messages in exc.fields.items():
            body.setdefault(field, [str(m) for m in messages])
        return Response(body, status=exc.status_code)
    if isinstance(exc, DjangoValidationError):
        if hasattr(exc, "message_dict"):
            fields = {("non_field_errors" if k == "__all__" else k): v for k, v in exc.message_dict.items()}
        else:
            fields = {"non_field_errors": exc.messages}
        exc = exceptions.ValidationError(fields)
    if isinstance(exc, PermissionDenied):
        exc = exceptions.PermissionDenied()

    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    if isinstance(exc, exceptions.ValidationError):
        body = {"detail": _("Invalid input."), "code": _first_code(exc.detail)}
        for field, messages in _field_errors(exc.detail).items():
            body[field] = messages
        response.data = body
        response.status_code = status.HTTP_400_BAD_REQUEST
    elif isinstance(response.data, dict) and "detail" in response.data:
        detail = response.data["detail"]
        response.data = {"detail": str(detail), "code": getattr(detail, "code", "error")}
    return response


class _SafeCache:
    """DRF's throttles read and write their history through dibao/cache.py: a cache that is down
    counts nothing (the request goes through) instead of answering 500."""

    def get(self, key, default=None):
        return cache_get(key, default)

    def set(self, key, value, timeout=None):
        cache_set(key, value, timeout)


class SafeRateThrottle(SimpleRateThrottle):
    cache = _SafeCache()


class AddressThrottle(SafeRateThrottle):
    """Per client address (dibao.middleware.client_ip: X-Forwarded-For only from a trusted proxy)."""

    def get_cache_key(self, request, view):
        return self.cache_format % {"scope": self.scope, "ident": client_ip(request) or "unknown"}


class TokenThrottle(AddressThrottle):
    scope = "token"


class UserThrottle(SafeRateThrottle):
    """Per signed-in user (the scope names the rate in REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"])."""

    def get_cache_key(self, request, view):
        return self.cache_format % {"scope": self.scope, "ident": f"user:{request.user.pk}"}


class RevealThrottle(UserThrottle):
    scope = "reveal"


class ScopedThrottle(SafeRateThrottle):
    """A throttle a page or a service asks directly: `ScopedThrottle("reveal", f"user:{pk}").allow()`."""

    def __init__(self, scope: str, ident: str):
        self.scope = scope
        self.ident = ident
        super().__init__()

    def get_cache_key(self, request, view):
        return self.cache_format % {"scope": self.scope, "ident": self.ident}

    def allow(self) -> bool:
        return self.allow_request(None, None)


def _is_api(request) -> bool:
    return request.path_info.startswith("/api/")


def page_not_found(request, exception):
    """handler404: the API's JSON body under /api/ (the same body as DRF's 404), the page elsewhere."""
    if _is_api(request):
        return JsonResponse({"detail": _("Not found."), "code": "not_found"}, status=404)
    return defaults.page_not_found(request, exception)


def server_error(request):
    """handler500: JSON under /api/, the error page elsewhere; never a traceback (DEBUG is off here)."""
    if _is_api(request):
        return JsonResponse({"detail": _("A server error occurred."), "code": "server_error"}, status=500)
    return defaults.server_error(request)
