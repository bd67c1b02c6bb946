"""A URL conf for the error-shape tests: views that raise each kind of error, as a service would."""

from django.urls import include, path
from rest_framework.response import Response
from rest_framework.views import APIView

from dibao import errors


class Raises(APIView):
    def post(self, request, kind):
        if kind == "stale":
            raise errors.StaleVersion(fields={"version": ["3"]})
        if kind == "transition":
            raise errors.InvalidTransition()
        if kind == "forbidden":
            raise errors.NotPermitted()
        if kind == "django-validation":
            from django.core.exceptions import ValidationError

            raise ValidationError({"amount": ["must be positive"]})
        return Response({"ok": True})


urlpatterns = [
    path("api/test-raise/<str:kind>/", Raises.as_view()),
    path("", include("dibao.urls")),
]
