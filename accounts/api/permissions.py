from django.utils.translation import gettext_lazy as _
from rest_framework.permissions import BasePermission


def role_required(*roles: str, safe_roles: tuple[str, ...] | None = None) -> type[BasePermission]:
    """A DRF permission class: the user must have one of `roles` (admin always may).

    With `safe_roles`, reads (GET/HEAD/OPTIONS) are open to those roles and writes need `roles`.
    """

    class HasRole(BasePermission):
        message = _("Your role may not do this.")

        def has_permission(self, request, view):
            user = request.user
            if not user or not user.is_authenticated:
                return False
            allowed = roles
            if safe_roles is not None and request.method in ("GET", "HEAD", "OPTIONS"):
                allowed = safe_roles
            return user.has_role(*allowed)

    return HasRole
