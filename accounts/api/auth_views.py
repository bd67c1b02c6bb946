"""Signing in to the API: tokens (django-rest-knox), logout, the owner's token list, lockouts.

POST /api/v1/auth/token/ {username, password[, otp]} -> {token, expiry} (DESIGN.md's contract; the
`otp` field is required for the roles that need a second factor when OTP_REQUIRED is on).
"""

from axes.handlers.proxy import AxesProxyHandler
from axes.models import AccessAttempt
from django.conf import settings
from django.contrib.auth.signals import user_logged_out
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.authtoken.serializers import AuthTokenSerializer
from rest_framework.exceptions import Throttled
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts import services
from accounts.api.permissions import role_required
from accounts.auth import login_blocked, login_blocked_message
from accounts.lockout import lockout_response
from accounts.models import ApiToken, Role
from accounts.otp import check_code, has_second_factor, otp_required
from accounts.tokens import token_id, token_issue, token_revoke, tokens_of, tokens_revoke_all
from dibao.api import TokenThrottle
from dibao.errors import InvalidInput, NotPermitted
from dibao.middleware import client_ip


class TokenSerializer(AuthTokenSerializer):
    # Bounded like User.username: an over-long name is a 400, never handed to the lockout's
    # 255-character attempt table (which answered 500).
    username = serializers.CharField(label=_("Username"), max_length=150, write_only=True)
    password = serializers.CharField(label=_("Password"), max_length=4096, style={"input_type": "password"},
                                     trim_whitespace=False, write_only=True)
    otp = serializers.CharField(label=_("Second-factor code"), max_length=32, required=False, allow_blank=True,
                                write_only=True,
                                help_text=_("The 6-digit code of the authenticator app, or a recovery code."))


class TokenResponseSerializer(serializers.Serializer):
    token = serializers.CharField()
    expiry = serializers.DateTimeField()


class TokenView(APIView):
    """POST {username, password[, otp]} -> {token, expiry}. Failures count towards the lockouts."""

    authentication_classes: list = []
    permission_classes = [AllowAny]
    throttle_classes = [TokenThrottle]

    @extend_schema(request=TokenSerializer, responses={200: TokenResponseSerializer})
    def post(self, request):
        ip = client_ip(request)
        username = str(request.data.get("username", ""))[:150] if hasattr(request.data, "get") else ""
        if login_blocked(ip=ip, username=username):
            raise Throttled(detail=login_blocked_message())
        # (A NUL cannot be stored or looked up in PostgreSQL text: such a name is refused by the serializer.)
        if username and "\x00" not in username and AxesProxyHandler.is_locked(request._request,
                                                                              {"username": username}):
            # django-axes locked this username at this address: 429 JSON saying how long and whom to call.
            return lockout_response(request._request, None, {"username": username})
        serializer = TokenSerializer(data=request.data, context={"request": request})
        serializer.is_valid(raise_exception=True)
        user = serializer.validated_data["user"]
        verified = False
        if otp_required(user):
            if not has_second_factor(user):
                raise NotPermitted(_("Set up the second factor on the web first (log in on the login page)."),
                                   code="second_factor_not_enrolled")
            code = serializer.validated_data.get("otp") or ""
            if not code:
                raise InvalidInput(fields={"otp": [_("This account needs the code of its authenticator app.")]},
                                   code="second_factor_required")
            if check_code(user=user, code=code) is None:
                raise InvalidInput(fields={"otp": [_("The code is not correct.")]}, code="invalid_otp")
            verified = True
        instance, token = token_issue(user=user, ip=ip, user_agent=request.META.get("HTTP_USER_AGENT", ""),
                                      second_factor=verified)
        return Response({"token": token, "expiry": instance.expiry})


class LogoutView(APIView):
    """POST: this token ends now (204)."""

    @extend_schema(request=None, responses={204: None})
    def post(self, request):
        if isinstance(request.auth, ApiToken):
            token_revoke(actor=request.user, owner=request.user, token_ref=token_id(request.auth), reason="logout")
        user_logged_out.send(sender=type(request.user), request=request, user=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


class LogoutAllView(APIView):
    """POST: every token of this account ends now (204)."""

    @extend_schema(request=None, responses={204: None})
    def post(self, request):
        tokens_revoke_all(actor=request.user, owner=request.user, reason="logout_all")
        user_logged_out.send(sender=type(request.user), request=request, user=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


class TokenInfoSerializer(serializers.Serializer):
    id = serializers.CharField()
    created = serializers.DateTimeField()
    expiry = serializers.DateTimeField(allow_null=True)
    ip = serializers.IPAddressField(allow_null=True)
    client = serializers.CharField()
    second_factor = serializers.BooleanField()
    current = serializers.BooleanField()


def token_rows(request) -> list[dict]:
    current = request.auth.digest if isinstance(getattr(request, "auth", None), ApiToken) else None
    return [{"id": token_id(t), "created": t.created, "expiry": t.expiry, "ip": t.ip, "client": t.user_agent,
             "second_factor": t.second_factor, "current": t.digest == current} for t in tokens_of(request.user)]


class TokenListView(APIView):
    """GET: my tokens in force (never the token itself)."""

    @extend_schema(responses=TokenInfoSerializer(many=True))
    def get(self, request):
        return Response(TokenInfoSerializer(token_rows(request), many=True).data)


class TokenDetailView(APIView):
    """DELETE: revoke one of my tokens."""

    @extend_schema(request=None, responses={204: None})
    def delete(self, request, token_ref: str):
        token_revoke(actor=request.user, owner=request.user, token_ref=token_ref, reason="revoked_by_owner")
        return Response(status=status.HTTP_204_NO_CONTENT)


class LockoutSerializer(serializers.Serializer):
    username = serializers.CharField(max_length=150)


class LockoutView(APIView):
    """Security administrator: GET the usernames locked out now; POST {username} lifts the lockout."""

    permission_classes = [IsAuthenticated, role_required(Role.SECURITY_ADMIN)]

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        if request.user.role != Role.SECURITY_ADMIN:  # the system administrator's pass does not apply
            raise NotPermitted(_("Only the security administrator may do this."))

    @extend_schema(responses=inline_serializer("Lockout", {"username": serializers.CharField(),
                                                           "ip_address": serializers.CharField(),
                                                           "failures": serializers.IntegerField(),
                                                           "attempt_time": serializers.DateTimeField()},
                                               many=True))
    def get(self, request):
        rows = (AccessAttempt.objects.filter(failures_since_start__gte=settings.AXES_FAILURE_LIMIT)
                .order_by("-attempt_time").values("username", "ip_address", "failures_since_start",
                                                  "attempt_time")[:200])
        return Response([{"username": r["username"], "ip_address": r["ip_address"],
                          "failures": r["failures_since_start"], "attempt_time": r["attempt_time"]} for r in rows])

    @extend_schema(request=LockoutSerializer, responses={200: inline_serializer(
        "LockoutReset", {"removed": serializers.IntegerField()})})
    def post(self, request):
        serializer = LockoutSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        removed = services.lockout_reset(actor=request.user, username=serializer.validated_data["username"])
        return Response({"removed": removed})
