"""How a request proves who it is: API tokens (django-rest-knox) and the login rate limits.

The lockout of one username + address pair is django-axes' (settings.AXES_*). On top of it, counted here in
the cache (dibao/cache.py: a cache that is down limits nothing and never answers 500):
- failed logins from one address, whatever the usernames (password spraying), and
- failed logins for one username, whatever the addresses (a botnet on one account).
Both are refused for the rest of the window once over the limit, on the page and at the token endpoint.
"""

import hashlib

from django.conf import settings
from django.utils.translation import gettext_lazy as _
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from knox.auth import TokenAuthentication as KnoxTokenAuthentication
from rest_framework import exceptions

from dibao.cache import cache_count, cache_get


def password_fingerprint(user) -> str:
    """Changes whenever the password does (Django's session hash, an HMAC of the password hash)."""
    return user.get_session_auth_hash()


class TokenAuthentication(KnoxTokenAuthentication):
    """knox's token check, plus: a token issued under an older password no longer works (and is deleted)."""

    def validate_user(self, auth_token):
        user, token = super().validate_user(auth_token)
        if token.password_fingerprint != password_fingerprint(user):
            token.delete()
            raise exceptions.AuthenticationFailed(_("Invalid token."))
        return user, token


class TokenAuthenticationScheme(OpenApiAuthenticationExtension):
    """The OpenAPI description of the header: `Authorization: Token <token>`."""

    target_class = "accounts.auth.TokenAuthentication"
    name = "tokenAuth"

    def get_security_definition(self, auto_schema):
        return {"type": "apiKey", "in": "header", "name": "Authorization",
                "description": "Token <token> (POST /api/v1/auth/token/)"}


def _window_seconds() -> int:
    return settings.LOGIN_FAILURE_WINDOW_MINUTES * 60


def _address_key(ip: str | None) -> str:
    return f"login-failures:ip:{ip or 'unknown'}"


def _username_key(username: str) -> str:
    digest = hashlib.sha256(username.strip().lower().encode("utf-8", "replace")).hexdigest()[:32]
    return f"login-failures:user:{digest}"


def count_login_failure(*, ip: str | None, username: str) -> None:
    window = _window_seconds()
    cache_count(_address_key(ip), window)
    if username:
        cache_count(_username_key(username), window)


def login_blocked(*, ip: str | None, username: str) -> str | None:
    """Why a login attempt is refused before the password is checked, or None."""
    if (cache_get(_address_key(ip), 0) or 0) >= settings.LOGIN_FAILURES_PER_ADDRESS:
        return "address"
    if username and (cache_get(_username_key(username), 0) or 0) >= settings.LOGIN_FAILURES_PER_USERNAME:
        return "username"
    return None


LOGIN_BLOCKED_MESSAGE = _("Too many failed logins. Try again in %(minutes)d minutes.")


def login_blocked_message() -> str:
    return str(LOGIN_BLOCKED_MESSAGE) % {"minutes": settings.LOGIN_FAILURE_WINDOW_MINUTES}
