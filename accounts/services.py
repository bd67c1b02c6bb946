"""Every write to users and divisions.

The three administrators (三员分立): the system administrator (role admin) creates accounts and divisions
and deactivates accounts; the security administrator changes roles, resets passwords and lockouts and
revokes tokens; the audit administrator only reads. Nobody changes their own role or administers the
account of another administrator with a different role.
"""

from axes.utils import reset as axes_reset
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext_lazy as _

from accounts.models import ADMIN_ROLES, Division, Level, Role, User
from accounts.scoping import require_role
from accounts.tokens import tokens_revoke_all
from audit import services as audit
from dibao.errors import InvalidInput, NotPermitted


@transaction.atomic
def division_create(*, actor: User | None, code: str, name: str, level: str,
                    parent: Division | None = None, population: int | None = None) -> Division:
    if actor is not None:
        require_role(actor, Role.ADMIN)
    division = Division(code=code, name=name, level=level, parent=parent, population=population)
    division.full_clean()
    division.save()
    audit.record(actor=actor, action="division.create", obj=division, division_code=division.code,
                 after={"code": code, "name": name, "level": level, "parent": parent.code if parent else None})
    return division


@transaction.atomic
def user_create(*, actor: User | None, username: str, password: str, role: str,
                division: Division | None, first_name: str = "", last_name: str = "",
                email: str = "") -> User:
    if actor is not None:
        require_role(actor, Role.ADMIN)
        if role in ADMIN_ROLES:
            # Granting an administrator role is the security administrator's (user_set_role).
            raise NotPermitted(_("Administrator roles are granted by the security administrator."))
    user = User(username=username, role=role, division=division, first_name=first_name,
                last_name=last_name, email=email, is_staff=(role in ADMIN_ROLES))
    try:
        validate_password(password, user)
    except ValidationError as exc:
        raise ValidationError({"password": exc.messages}) from None
    user.set_password(password)
    user.full_clean()
    user.save()
    audit.record(actor=actor, action="user.create", obj=user,
                 division_code=division.code if division else "",
                 after={"username": username, "role": role, "division": division.code if division else None})
    return user


def _require_security_admin(actor: User, target: User) -> None:
    if actor.role != Role.SECURITY_ADMIN:
        raise NotPermitted(_("Only the security administrator may do this."))
    if actor.pk == target.pk:
        raise NotPermitted(_("Nobody administers their own account."))


@transaction.atomic
def user_set_role(*, actor: User, user: User, role: str, division: Division | None) -> User:
    """Change an account's role and area (security administrator). One role per account, so nobody holds
    two of the administrator roles; a superuser stays a system administrator."""
    _require_security_admin(actor, user)
    user = User.objects.select_for_update().get(pk=user.pk)
    before = {"role": user.role, "division": user.division.code if user.division else None}
    if user.is_superuser and role != Role.ADMIN:
        raise InvalidInput(fields={"role": [_("A superuser can only be a system administrator.")]})
    user.role = role
    user.division = None if role in ADMIN_ROLES else division
    user.is_staff = role in ADMIN_ROLES
    user.full_clean()
    user.save(update_fields=["role", "division", "is_staff"])
    tokens_revoke_all(actor=None, owner=user, reason="role_changed")
    audit.record(actor=actor, action="user.set_role", obj=user,
                 division_code=user.division.code if user.division else "", before=before,
                 after={"role": role, "division": user.division.code if user.division else None})
    return user


@transaction.atomic
def user_set_password(*, actor: User, user: User, password: str) -> User:
    """A new password (the user themselves, or the security administrator resetting it): every API token
    and other session of the account ends."""
    if actor.pk != user.pk:
        _require_security_admin(actor, user)
    try:
        validate_password(password, user)
    except ValidationError as exc:
        raise InvalidInput(fields={"password": exc.messages}) from None
    user.set_password(password)
    user.save(update_fields=["password"])
    tokens_revoke_all(actor=None, owner=user, reason="password_changed")
    audit.record(actor=actor, action="user.set_password", obj=user,
                 division_code=user.division.code if user.division else "", after={"password": "(changed)"})
    return user


@transaction.atomic
def user_set_active(*, actor: User, user: User, active: bool) -> User:
    """Deactivate (or reactivate) an account: system or security administrator; tokens end at once."""
    if actor.role not in (Role.ADMIN, Role.SECURITY_ADMIN) or actor.pk == user.pk:
        raise NotPermitted()
    if user.role in ADMIN_ROLES and actor.role != Role.SECURITY_ADMIN:
        raise NotPermitted(_("Administrator accounts are managed by the security administrator."))
    User.objects.filter(pk=user.pk).update(is_active=active)
    user.is_active = active
    if not active:
        tokens_revoke_all(actor=None, owner=user, reason="deactivated")
    audit.record(actor=actor, action="user.activate" if active else "user.deactivate", obj=user,
                 division_code=user.division.code if user.division else "",
                 before={"is_active": not active}, after={"is_active": active})
    return user


@transaction.atomic
def lockout_reset(*, actor: User, username: str) -> int:
    """Lift django-axes' lockout of a username (security administrator)."""
    if actor.role != Role.SECURITY_ADMIN:
        raise NotPermitted(_("Only the security administrator may do this."))
    count = axes_reset(username=username) or 0
    audit.record(actor=actor, action="auth.lockout_reset", object_type="accounts.user", object_id="",
                 after={"username": username[:150], "attempts_removed": count}, feed=False)
    return count


def get_or_create_division(*, code: str, name: str, level: str, parent: Division | None,
                           population: int | None = None) -> Division:
    """For seeding: idempotent by code."""
    existing = Division.objects.filter(code=code).first()
    if existing:
        return existing
    return division_create(actor=None, code=code, name=name, level=level, parent=parent, population=population)


__all__ = ["division_create", "user_create", "user_set_role", "user_set_password", "user_set_active",
           "lockout_reset", "get_or_create_division", "Level"]
