from django.db.models import QuerySet

from accounts.models import Division, User
from accounts.scoping import scope_queryset


def divisions_visible(user: User) -> QuerySet[Division]:
    return scope_queryset(user, Division.objects.select_related("parent"))


def villages_visible(user: User) -> QuerySet[Division]:
    return divisions_visible(user).filter(level="village")


def users_visible(user: User) -> QuerySet[User]:
    """Users whose division lies in the viewer's area (admins see all)."""
    return scope_queryset(user, User.objects.select_related("division").order_by("username"))
