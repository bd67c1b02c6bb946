"""Optional error reports through sentry-sdk (SENTRY_DSN), with personal data kept home.

What is sent: the exception type, its message and stack (file, function, line, no local variables),
the request's method and path (no body, cookies, headers or query), the user's numeric id, the request
id tag. Every string of the event and of its breadcrumbs passes `dibao.redaction.redact` (ID numbers,
constraint-violation values) in `before_send`, the last step before the transport.
"""

import sentry_sdk
from sentry_sdk.integrations.celery import CeleryIntegration
from sentry_sdk.integrations.django import DjangoIntegration

from dibao.redaction import redact

KEEP_REQUEST = ("method", "url")


def scrub_event(event: dict, hint: dict | None = None) -> dict:
    request = event.get("request")
    if isinstance(request, dict):
        url = str(request.get("url", "")).split("?", 1)[0]
        event["request"] = {key: request[key] for key in KEEP_REQUEST if key in request} | {"url": url}
    user = event.get("user")
    if isinstance(user, dict):
        event["user"] = {"id": user["id"]} if "id" in user else {}
    for exception in (event.get("exception") or {}).get("values") or []:
        for frame in (exception.get("stacktrace") or {}).get("frames") or []:
            frame.pop("vars", None)
    return redact(event)


def scrub_breadcrumb(crumb: dict, hint: dict | None = None) -> dict | None:
    if crumb.get("category") in ("query", "django.db"):
        crumb.pop("data", None)  # SQL parameters
    return redact(crumb)


def init_sentry(dsn: str, *, environment: str = "production", transport=None) -> None:
    sentry_sdk.init(
        dsn=dsn,
        environment=environment,
        transport=transport,
        integrations=[DjangoIntegration(), CeleryIntegration()],
        max_request_body_size="never",
        data_collection={"user_info": False, "http_bodies": [], "stack_frame_variables": False,
                         "database_query_data": False},
        before_send=scrub_event,
        before_breadcrumb=scrub_breadcrumb,
        traces_sample_rate=0,
    )
