"""Every write to users and divisions."""

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import transaction

from accounts.models import Division, Level, Role, User
from accounts.scoping import require_role
from audit import services as audit


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
    user = User(username=username, role=role, division=division, first_name=first_name,
                last_name=last_name, email=email, is_staff=(role == Role.ADMIN))
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


def get_or_create_division(*, code: str, name: str, level: str, parent: Division | None,
                           population: int | None = None) -> Division:
    """For seeding: idempotent by code."""
    existing = Division.objects.filter(code=code).first()
    if existing:
        return existing
    return division_create(actor=None, code=code, name=name, level=level, parent=parent, population=population)


__all__ = ["division_create", "user_create", "get_or_create_division", "Level"]
