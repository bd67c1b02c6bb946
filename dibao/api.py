"""API plumbing shared by every app: pagination and the error shape of DESIGN.md.

Errors look like {"detail": ..., "code": ...}; validation errors add the field errors
{"field": ["message"]} beside them.
"""

from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from django.utils.translation import gettext as _
from rest_framework import exceptions, status
from rest_framework.pagination import PageNumberPagination
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from dibao.errors import DomainError


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
