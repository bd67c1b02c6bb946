"""Scoped reads for reports and exports."""

from dibao.errors import NotFound
from reports.models import Export


def export_for_user(user, export_id) -> Export:
    """An export is visible to the user who requested it and to nobody else (404)."""
    try:
        return Export.objects.select_related("job", "requested_by").get(pk=export_id, requested_by_id=user.pk)
    except (Export.DoesNotExist, ValueError, TypeError):
        raise NotFound() from None


def exports_of_user(user, limit: int = 20):
    return Export.objects.filter(requested_by_id=user.pk).select_related("job")[:limit]
