"""The only writer of the audit and access logs."""

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from django.db import transaction

from audit import chain, feed
from audit.models import AccessLog, AuditEvent
from dibao.middleware import current_request_context


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set)):
        return [_jsonable(v) for v in value]
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    if hasattr(value, "pk"):
        return value.pk
    return value


def changed_fields(before: dict, after: dict) -> tuple[dict, dict]:
    """Keep only the keys whose values differ, for a compact before/after."""
    keys = [k for k in set(before) | set(after) if before.get(k) != after.get(k)]
    return {k: before.get(k) for k in keys}, {k: after.get(k) for k in keys}


def record(
    *,
    actor,
    action: str,
    obj=None,
    object_type: str | None = None,
    object_id: Any = None,
    division_code: str = "",
    before: dict | None = None,
    after: dict | None = None,
) -> AuditEvent:
    """Write one audit event. Call inside the service's transaction so both commit or neither.

    `obj` gives the object type and id; a division code places the event in scoping. The object
    goes to the change feed (audit/feed.py) too.
    """
    if obj is not None:
        object_type = object_type or f"{obj._meta.app_label}.{obj._meta.model_name}"
        object_id = obj.pk if object_id is None else object_id
    context = current_request_context()
    actor_obj = actor if getattr(actor, "is_authenticated", False) else None
    event = AuditEvent.objects.create(
        actor=actor_obj,
        actor_username=getattr(actor_obj, "username", "") or "system",
        action=action,
        object_type=object_type or "",
        object_id=str(object_id if object_id is not None else ""),
        division_code=division_code or "",
        before=_jsonable(before) if before is not None else None,
        after=_jsonable(after) if after is not None else None,
        request_id=context.get("request_id", ""),
        ip=context.get("ip"),
    )
    # Every audited write is a change the feed's subscribers hear of, after the commit.
    feed.changed(event.object_type, [event.object_id])
    # The event joins the hash chain once it is committed (audit/chain.py says why not before).
    chain.seal_after_commit()
    return event


def record_access(*, user, action: str, obj=None, object_type: str = "", object_id: Any = "",
                  division_code: str = "", detail: dict | None = None) -> AccessLog:
    if obj is not None:
        object_type = object_type or f"{obj._meta.app_label}.{obj._meta.model_name}"
        object_id = obj.pk
    with transaction.atomic():
        return AccessLog.objects.create(
            user=user, action=action, object_type=object_type, object_id=str(object_id),
            division_code=division_code, detail=_jsonable(detail or {}),
            ip=current_request_context().get("ip"),
        )
