"""The one place that decides what a user may see.

Every selector, view, API, export and task loads protected rows through `scope_queryset`.
A model says where its division is with one class attribute:
- `SCOPE_CODE_FIELD`: a CharField holding the 12-digit code of its division (no join), or
- `SCOPE_FIELD`: the path to a Division foreign key ("village", "household__village"),
  or "" for Division itself.
Out of scope and missing look the same: `get_in_scope` raises Http404 for both.
"""

from django.db.models import Model, QuerySet
from django.http import Http404

from accounts.models import Division, Role, User
from dibao.errors import NotPermitted


def scope_prefix(user: User) -> str | None:
    """The code prefix of the user's area; "" means everything; None means nothing."""
    if not user or not user.is_authenticated or not user.is_active:
        return None
    if user.is_admin_role:
        return ""
    if user.division_id is None:
        return None
    return user.division.prefix


def scope_queryset(user: User, queryset: QuerySet) -> QuerySet:
    prefix = scope_prefix(user)
    if prefix is None:
        return queryset.none()
    if prefix == "":
        return queryset
    model = queryset.model
    code_field = getattr(model, "SCOPE_CODE_FIELD", None)
    if not code_field:
        field = getattr(model, "SCOPE_FIELD", None)
        if field is None:
            raise TypeError(f"{model.__name__} declares neither SCOPE_CODE_FIELD nor SCOPE_FIELD")
        code_field = f"{field}__code" if field else "code"
    low, high = code_range(prefix)
    return queryset.filter(**{f"{code_field}__gte": low, f"{code_field}__lte": high})


def code_range(prefix: str) -> tuple[str, str]:
    """The 12-digit codes inside a prefix as a closed range.

    A range (not LIKE 'prefix%') so any B-tree index that starts with the code column serves it,
    whatever the database collation; division codes are always 12 digits.
    """
    return prefix.ljust(12, "0"), prefix.ljust(12, "9")


def get_in_scope(user: User, queryset: QuerySet, **lookup) -> Model:
    try:
        return scope_queryset(user, queryset).get(**lookup)
    except (queryset.model.DoesNotExist, ValueError, TypeError):
        raise Http404 from None


def division_in_scope(user: User, division: Division) -> bool:
    prefix = scope_prefix(user)
    return prefix is not None and division.code.startswith(prefix)


def require_role(user: User, *roles: str) -> None:
    """Raise NotPermitted (403) unless the user has one of the roles (admin always may)."""
    if not user.is_authenticated or not user.has_role(*roles):
        raise NotPermitted()


WRITER_ROLES = (Role.VILLAGE_STAFF, Role.TOWNSHIP_STAFF, Role.COUNTY_OFFICER)
