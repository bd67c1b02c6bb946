"""API tokens: issue, list, revoke (django-rest-knox stores only each token's digest).

Every issue and revoke is an audit event (auth.token_issue, auth.token_revoke) with the client address.
A token ends: after settings.TOKEN_TTL_HOURS; at logout (that token); when its owner or the security
administrator revokes it; when the password changes (accounts.auth checks the fingerprint; the password
services also delete them); when the account is deactivated.
"""

from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from knox.settings import knox_settings

from accounts.auth import password_fingerprint
from accounts.models import ApiToken, Role, User
from audit.services import record_login_event
from dibao.errors import InvalidInput, NotFound, NotPermitted

# The id shown for a token: the start of its digest (the token itself is never stored).
TOKEN_ID_LENGTH = 24


def token_id(token: ApiToken) -> str:
    return token.digest[:TOKEN_ID_LENGTH]


def tokens_of(user: User) -> QuerySet:
    """The user's tokens still in force (not expired, issued under the current password)."""
    now = timezone.now()
    return (ApiToken.objects.filter(user=user, password_fingerprint=password_fingerprint(user))
            .filter(Q(expiry__gt=now) | Q(expiry__isnull=True)).order_by("-created"))


@transaction.atomic
def token_issue(*, user: User, ip: str | None, user_agent: str = "", second_factor: bool = False) -> tuple[ApiToken, str]:
    """A new token for a user whose password (and second factor, where required) was just checked."""
    limit = knox_settings.TOKEN_LIMIT_PER_USER
    if limit is not None and tokens_of(user).count() >= limit:
        raise InvalidInput(_("Too many API tokens are in force for this account. Revoke one first."),
                           code="token_limit")
    ApiToken.objects.filter(user=user, expiry__lte=timezone.now()).delete()
    instance, token = ApiToken.objects.create(
        user=user, expiry=knox_settings.TOKEN_TTL, password_fingerprint=password_fingerprint(user),
        ip=ip, user_agent=(user_agent or "")[:200], second_factor=second_factor)
    record_login_event(action="auth.token_issue", user=user,
                       detail={"token": token_id(instance), "expiry": instance.expiry.isoformat()})
    return instance, token


@transaction.atomic
def token_revoke(*, actor: User, owner: User, token_ref: str, reason: str = "revoked") -> None:
    """Revoke one of `owner`'s tokens by its id; the owner, or the security administrator, may."""
    if actor.pk != owner.pk and actor.role != Role.SECURITY_ADMIN:
        raise NotPermitted()
    if not token_ref or len(token_ref) < 8:
        raise NotFound()
    tokens = list(ApiToken.objects.filter(user=owner, digest__startswith=token_ref)[:2])
    if len(tokens) != 1:
        raise NotFound()
    revoked = token_id(tokens[0])
    tokens[0].delete()  # the digest is the primary key: read before the delete clears it
    record_login_event(action="auth.token_revoke", user=owner,
                       detail={"token": revoked, "reason": reason, "by": actor.username})


@transaction.atomic
def tokens_revoke_all(*, actor: User | None, owner: User, reason: str) -> int:
    """Every token of `owner` (logout everywhere, password change, deactivation, security administrator)."""
    if actor is not None and actor.pk != owner.pk and actor.role != Role.SECURITY_ADMIN:
        raise NotPermitted()
    count, _ = ApiToken.objects.filter(user=owner).delete()
    if count:
        record_login_event(action="auth.token_revoke", user=owner,
                           detail={"count": count, "reason": reason,
                                   "by": actor.username if actor is not None else "system"})
    return count
