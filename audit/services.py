"""The only writer of the audit and access logs."""

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from django.db import transaction

from audit import chain
from audit import feed as changes
from audit.disclosure import protect
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
    feed: bool = True,
    actor_username: str = "",
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
        actor_username=getattr(actor_obj, "username", "") or actor_username or "system",
        action=action,
        object_type=object_type or "",
        object_id=str(object_id if object_id is not None else ""),
        division_code=division_code or "",
        # Bank accounts are stored masked with a keyed hash (audit/disclosure.py), never in full.
        before=protect(_jsonable(before)) if before is not None else None,
        after=protect(_jsonable(after)) if after is not None else None,
        request_id=context.get("request_id", ""),
        ip=context.get("ip"),
    )
    # Every audited write is a change the feed's subscribers hear of, after the commit (a login is no change).
    if feed:
        changes.changed(event.object_type, [event.object_id])
    # The event joins the hash chain once it is committed (audit/chain.py says why not before).
    chain.seal_after_commit()
    return event


def record_login_event(*, action: str, user=None, username: str = "", detail: dict | None = None) -> AuditEvent:
    """A sign-in event (auth.login, auth.login_failed, auth.lockout, auth.logout, auth.token_issue,
    auth.token_revoke, auth.otp_*) with the client address of the request (dibao.middleware.client_ip).

    A failed attempt names no actor: it is written as "anonymous", the name tried is in `after`. Not a
    change, so it does not go to the change feed.
    """
    division = getattr(user, "division", None) if user is not None else None
    after = {"username": (getattr(user, "username", "") or username)[:150], **(detail or {})}
    with transaction.atomic():
        return record(actor=user if getattr(user, "is_authenticated", False) else None, action=action,
                      object_type="accounts.user", object_id=getattr(user, "pk", None) or "",
                      division_code=getattr(division, "code", ""), after=after, feed=False,
                      actor_username="anonymous")


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
