from django.db.models import QuerySet

from accounts.divisions import ancestor_code, county_code_of
from accounts.models import Division, Level, Role, User
from accounts.scoping import get_in_scope, scope_queryset


def divisions_visible(user: User) -> QuerySet[Division]:
    return scope_queryset(user, Division.objects.select_related("parent"))


def access_division_by_code(actor, code) -> Division:
    """The division with this code in the actor's area; NotFound if not or if missing."""
    return get_in_scope(actor, Division.objects.select_related("parent"), code=code)


def villages_visible(user: User) -> QuerySet[Division]:
    return divisions_visible(user).filter(level="village")


def users_serving(code: str) -> QuerySet[User]:
    """Active users of the division with this code and of the divisions above it (up to its county):
    the staff who may work on a row of that division."""
    chain = {code, ancestor_code(code, Level.TOWNSHIP), county_code_of(code)}
    return User.objects.filter(is_active=True, division__code__in=chain)


def users_visible(user: User) -> QuerySet[User]:
    """Users whose division lies in the viewer's area (the system and security administrators see all)."""
    users = User.objects.select_related("division").order_by("username")
    if user.is_authenticated and user.is_active and user.role == Role.SECURITY_ADMIN:
        return users
    return scope_queryset(user, users)
