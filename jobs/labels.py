"""Job kinds and counts in words: the job page never shows `rows_read` or a dict.

Apps name their job kinds and count keys with plain strings; the words for them live here, with the
job page (lowest layer: no app is imported). A count whose value is a mapping (e.g. findings per
rule) is shown by the app's own kind template (jobs/kinds/<kind>.html), not as a repr.
"""

from django.utils.translation import gettext_lazy as _

KIND_LABELS = {
    "export": _("Report export"),
    "poverty_registry_import": _("Import of the poverty-alleviation roster"),
    "overlap_scan": _("Cross-check scan of the shared registry"),
    "payment_roll": _("Payment roll generation"),
}

COUNT_LABELS = {
    "rows": _("Rows written"),
    "rows_read": _("Rows read"),
    "rows_imported": _("Rows imported"),
    "rows_failed": _("Rows with errors"),
    "households_created": _("Households added"),
    "households_updated": _("Households updated"),
    "households_unchanged": _("Households unchanged"),
    "members_created": _("Members added"),
    "members_updated": _("Members updated"),
    "members_unchanged": _("Members unchanged"),
    "members_removed": _("Members removed"),
    "members_to_remove": _("Members awaiting removal"),
    "found": _("Findings found"),
    "raised": _("New findings"),
    "refreshed": _("Findings refreshed"),
    "suppressed": _("Findings suppressed (false matches)"),
    "closed": _("Findings closed"),
    "households": _("Households on the roll"),
    "total_amount": _("Total amount (yuan)"),
}


def kind_label(kind: str) -> str:
    return str(KIND_LABELS.get(kind, _("Background job")))


def count_rows(counts: dict) -> list[tuple[str, object]]:
    """(label, number) for the plain counts; mappings are left to the kind's own template."""
    return [(str(COUNT_LABELS.get(key, _("Other"))), value) for key, value in (counts or {}).items()
            if not isinstance(value, dict | list)]
