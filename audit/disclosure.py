"""Need to know for identity (ASVS V8.3; GB/T 22239 8.1.4.8 personal information protection).

Lists and details show ID numbers and bank accounts masked. A full value is shown only on an explicit
request naming a purpose from DISCLOSURE_PURPOSES (settings) and a note; the request is written to the
access log and counted per user per hour (the "reveal" throttle). Unmasked exports ask for the same.
Bank accounts never reach the append-only audit log in full: `protect()` stores them masked, with a keyed
hash so two values can still be compared.
"""

import hashlib
import hmac

from django.conf import settings
from django.utils.translation import gettext_lazy as _

from dibao.errors import InvalidInput

PURPOSE_LABELS = {
    "eligibility_check": _("Eligibility check (household survey, income verification)"),
    "payment": _("Payment to the bank or payment correction"),
    "verification": _("Identity verification with another department"),
    "audit": _("Audit or supervision"),
    "legal_request": _("Request from a court, procuratorate or public security organ"),
    "other": _("Other (explain in the note)"),
}
NOTE_MIN_LENGTH = 4
NOTE_MAX_LENGTH = 200
# Keys of before/after whose values are stored masked with a hash (audit.services.record).
PROTECTED_KEYS = frozenset({"bank_account"})


def purpose_choices() -> list[tuple[str, str]]:
    return [(code, PURPOSE_LABELS.get(code, code)) for code in settings.DISCLOSURE_PURPOSES]


def validate_disclosure(purpose: str, note: str, *, purpose_field: str = "purpose",
                        note_field: str = "note") -> tuple[str, str]:
    """(purpose, note) cleaned, or InvalidInput naming the field: a purpose from the list and a note."""
    purpose = (purpose or "").strip()
    note = " ".join((note or "").split())
    errors = {}
    if purpose not in settings.DISCLOSURE_PURPOSES:
        errors[purpose_field] = [_("Choose the purpose from the list.")]
    if len(note) < NOTE_MIN_LENGTH:
        errors[note_field] = [_("Describe in a few words why you need the full number (at least %(n)d characters).")
                              % {"n": NOTE_MIN_LENGTH}]
    elif len(note) > NOTE_MAX_LENGTH:
        errors[note_field] = [_("Keep the note under %(n)d characters.") % {"n": NOTE_MAX_LENGTH}]
    if errors:
        raise InvalidInput(fields=errors, code="purpose_required")
    return purpose, note


def mask_tail(value: str, keep: int = 4) -> str:
    value = str(value or "")
    return ("*" * max(0, len(value) - keep) + value[-keep:]) if value else ""


def keyed_hash(value: str) -> str:
    key = settings.SECRET_KEY.encode()
    return hmac.new(key, b"audit-protect:" + str(value).encode(), hashlib.sha256).hexdigest()[:24]


def protect(values: dict | None) -> dict | None:
    """Before/after with protected keys as {"masked": "****1234", "hash": ...} (empty stays empty)."""
    if not values:
        return values
    out = dict(values)
    for key in PROTECTED_KEYS & set(out):
        value = out[key]
        if value and not isinstance(value, dict):
            out[key] = {"masked": mask_tail(value), "hash": keyed_hash(value)}
    return out
