"""The one place that decides what a user may see.

Every selector, view, API, export and task loads protected rows through `scope_queryset`.
A model says where its division is with one class attribute:
- `SCOPE_CODE_FIELD`: a CharField holding the 12-digit code of its division (no join), or
- `SCOPE_FIELD`: the path to a Division foreign key ("village", "household__village"),
  or "" for Division itself.
Out of scope and missing look the same: `get_in_scope` raises NotFound (a 404) for both. Each app
builds its `access_<thing>_by_id(actor, id, *, for_update=False)` on it (Zulip's access_stream_by_id),
and code that holds a division code rather than a queryset asks `code_in_scope`.
"""

from django.core.exceptions import ValidationError
from django.db.models import Model, QuerySet

from accounts.models import Division, Role, User
from dibao.errors import NotFound, NotPermitted


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


def get_in_scope(user: User, queryset: QuerySet, *, for_update: bool = False, **lookup) -> Model:
    """The one row of `queryset` matching `lookup` in the user's area, or NotFound.

    A malformed id is NotFound too. `for_update` locks the row itself (not the rows select_related
    joins in) until the end of the caller's transaction.
    """
    qs = scope_queryset(user, queryset)
    if for_update:
        qs = qs.select_for_update(of=("self",))
    try:
        return qs.get(**lookup)
    except (queryset.model.DoesNotExist, ValueError, TypeError, ValidationError):
        raise NotFound() from None


def code_in_scope(user: User, code: str) -> bool:
    """Whether a division code lies in the user's area: `scope_queryset`'s rule for one code."""
    prefix = scope_prefix(user)
    if prefix is None or not code:
        return False
    low, high = code_range(prefix)
    return low <= code <= high


def division_in_scope(user: User, division: Division) -> bool:
    return code_in_scope(user, division.code)


def require_role(user: User, *roles: str) -> None:
    """Raise NotPermitted (403) unless the user has one of the roles (admin always may)."""
    if not user.is_authenticated or not user.has_role(*roles):
        raise NotPermitted()


WRITER_ROLES = (Role.VILLAGE_STAFF, Role.TOWNSHIP_STAFF, Role.COUNTY_OFFICER)
