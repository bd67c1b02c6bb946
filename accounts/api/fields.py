"""Related fields whose choices are the requesting user's area.

An id outside the area is refused exactly like a missing one ("does not exist", naming only the id
sent), so a serializer can never resolve, and an error message never name, another area's row.
The serializer needs the request in its context.
"""

from rest_framework import serializers

from accounts.scoping import scope_queryset


class _InScope:
    def get_queryset(self):
        request = self.context.get("request")
        return scope_queryset(getattr(request, "user", None), super().get_queryset())


class ScopedPrimaryKeyRelatedField(_InScope, serializers.PrimaryKeyRelatedField):
    pass


class ScopedSlugRelatedField(_InScope, serializers.SlugRelatedField):
    pass
