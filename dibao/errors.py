"""Domain errors raised by services; the API maps them to responses, pages to messages."""

from django.http import Http404
from django.utils.translation import gettext_lazy as _


class DomainError(Exception):
    """A refusal the user can understand. `code` is stable for API clients."""

    status_code = 400
    default_code = "invalid"
    default_message = _("The request could not be carried out.")

    def __init__(self, message=None, *, code: str | None = None, fields: dict | None = None):
        self.message = message or self.default_message
        self.code = code or self.default_code
        self.fields = fields or {}
        super().__init__(str(self.message))


class InvalidInput(DomainError):
    """Input that fails validation; `fields` says which field ("field" or "members.<i>.<field>") and why."""

    default_message = _("Invalid input.")


class InvalidTransition(DomainError):
    status_code = 409
    default_code = "invalid_transition"
    default_message = _("This action is not allowed in the case's current state.")


class StaleVersion(DomainError):
    status_code = 409
    default_code = "stale_version"
    default_message = _("Someone else changed this record after you opened it. Reload and try again.")


class Conflict(DomainError):
    status_code = 409
    default_code = "conflict"


class NotPermitted(DomainError):
    status_code = 403
    default_code = "permission_denied"
    default_message = _("Your role may not do this.")


class NotFound(DomainError, Http404):
    """Missing, or outside the actor's area: the same answer for both, so the refusal tells nothing.

    An Http404 too, so a page that lets it through shows the 404 page and the API its 404 body.
    """

    status_code = 404
    default_code = "not_found"
    default_message = _("Not found.")
