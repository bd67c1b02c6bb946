"""The audit and access logs as people read them: actions as sentences, objects by name with a link,
divisions by name, changes with field names and display values.

The log itself keeps stable code names (`case.open_notice`, `cases.case`); this module is the one
table that turns them into words. The models are found through the app registry by their label, so
the log stays below every app (no imports upwards).
"""

import re
from dataclasses import dataclass

from django.apps import apps
from django.core.exceptions import FieldDoesNotExist
from django.db import models
from django.urls import NoReverseMatch, reverse
from django.utils.html import conditional_escape, format_html
from django.utils.safestring import mark_safe
from django.utils.translation import gettext, pgettext_lazy
from django.utils.translation import gettext_lazy as _

# action -> sentence: what the actor did ("%(object)s" is the object's name, linked where it has a page).
ACTIONS = {
    "case.create": _("entered %(object)s"),
    "case.update": _("changed %(object)s"),
    "case.note": _("added a note to %(object)s"),
    "case.submit": _("submitted %(object)s"),
    "case.return": _("returned %(object)s for correction"),
    "case.accept": _("accepted %(object)s"),
    "case.visits": _("recorded a home visit for %(object)s"),
    "case.extend": _("extended the time limit of %(object)s"),
    "case.open_notice": _("opened the public notice of %(object)s"),
    "case.objection": _("recorded an objection to the notice of %(object)s"),
    "case.reinvestigate": _("sent %(object)s back for investigation"),
    "case.end_notice": _("closed the public notice of %(object)s"),
    "case.approve": _("approved %(object)s"),
    "case.confirm_amount": _("confirmed the amount of %(object)s"),
    "case.reject": _("refused %(object)s"),
    "case.withdraw": _("withdrew %(object)s"),
    "case.exit": _("ended the assistance of %(object)s"),
    "case.gradual_exit_ended": _("ended the gradual exit of %(object)s"),
    "case.amount_adjusted": _("adjusted the monthly amount of %(object)s"),
    "case.document_uploaded": _("attached a document to %(object)s"),
    "case.document_deleted": _("removed a document from %(object)s"),
    "case.complaint_recorded": _("recorded a complaint about %(object)s"),
    "case.complaint_resolved": _("resolved a complaint about %(object)s"),
    "household.created": _("entered %(object)s"),
    "household.update": _("changed %(object)s"),
    "household.updated": _("changed %(object)s"),
    "member.added": _("added a member to %(object)s"),
    "member.removed": _("removed a member from %(object)s"),
    "member.updated": _("changed a member of %(object)s"),
    "income.updated": _("changed an income item of %(object)s"),
    "asset.updated": _("changed an asset of %(object)s"),
    "income.added": _("added an income item to %(object)s"),
    "income.removed": _("removed an income item from %(object)s"),
    "asset.added": _("added an asset to %(object)s"),
    "asset.removed": _("removed an asset from %(object)s"),
    "standard.created": _("set %(object)s"),
    "document.uploaded": _("uploaded %(object)s"),
    "document.deleted": _("deleted %(object)s"),
    "complaint.recorded": _("recorded %(object)s"),
    "complaint.assigned": _("assigned %(object)s"),
    "complaint.investigation_started": _("started investigating %(object)s"),
    "complaint.resolved": _("resolved %(object)s"),
    "review.scheduled": _("scheduled %(object)s"),
    "review.change_reported": _("recorded a reported change: %(object)s"),
    "review.completed": _("completed %(object)s"),
    "review.amount_proposed": _("proposed a new amount in %(object)s (a second officer confirms it)"),
    "payment_roll.generated": _("generated %(object)s"),
    "payment_roll.regenerated": _("regenerated %(object)s"),
    "payment_roll.reviewed": _("checked %(object)s"),
    "payment_roll.finalised": _("finalised %(object)s"),
    "poverty_registry.create": _("entered %(object)s"),
    "poverty_registry.update": _("changed %(object)s"),
    "poverty_registry.import": _("imported a roster file: %(object)s"),
    "poverty_registry.import_removals_confirm": _("confirmed the removals of the roster import %(object)s"),
    "overlap_scan.start": _("started a cross-check scan: %(object)s"),
    "overlap_flag.resolve": _("resolved %(object)s"),
    "user.create": _("created %(object)s"),
    "user.admin_create": _("created %(object)s"),
    "user.admin_change": _("changed %(object)s"),
    "user.admin_delete": _("deleted %(object)s"),
    "division.create": _("created %(object)s"),
    "division.admin_create": _("created %(object)s"),
    "division.admin_change": _("changed %(object)s"),
    "division.admin_delete": _("deleted %(object)s"),
    "standard.admin_create": _("set %(object)s"),
    "standard.admin_change": _("changed %(object)s"),
    "standard.admin_delete": _("deleted %(object)s"),
    "income_policy.admin_create": _("set the income rules: %(object)s"),
    "income_policy.admin_change": _("changed the income rules: %(object)s"),
    "income_policy.admin_delete": _("deleted the income rules: %(object)s"),
    "case_policy.admin_create": _("set the time limits: %(object)s"),
    "case_policy.admin_change": _("changed the time limits: %(object)s"),
    "case_policy.admin_delete": _("deleted the time limits: %(object)s"),
    "holiday.admin_create": _("added to the holiday table: %(object)s"),
    "holiday.admin_change": _("changed the holiday table: %(object)s"),
    "holiday.admin_delete": _("deleted from the holiday table: %(object)s"),
    "auth.login": _("signed in"),
    "auth.login_failed": _("failed to sign in"),
    "auth.lockout": _("was locked out after repeated failed sign-ins"),
    "auth.lockout_reset": _("lifted the lockout of %(object)s"),
    "auth.logout": _("signed out"),
    "auth.otp_enrol": _("enrolled a second-factor device"),
    "auth.otp_enrol_failed": _("failed to enrol a second-factor device"),
    "auth.otp_failed": _("gave a wrong second-factor code"),
    "auth.otp_recovery_codes": _("generated new recovery codes"),
    "auth.otp_verified": _("passed the second-factor check"),
    "auth.token_issue": _("was issued an API token"),
    "auth.token_revoke": _("revoked an API token"),
    "user.activate": _("activated the account %(object)s"),
    "user.deactivate": _("deactivated the account %(object)s"),
    "user.set_password": _("reset the password of %(object)s"),
    "user.set_role": _("changed the role of %(object)s"),
    "keys.rotation_start": _("started re-encrypting the stored data with the current keys"),
    "keys.rotation_end": _("finished re-encrypting the stored data with the current keys"),
    "audit.protected_values_masked": _("masked the bank accounts that older audit records held in full, and "
                                       "re-sealed the hash chain from that point"),
    "golive.uploaded": _("uploaded the recipient roster file of %(object)s"),
    "golive.dry_run": _("checked the recipient roster file of %(object)s (dry run)"),
    "golive.dry_run_failed": _("could not check the recipient roster file of %(object)s"),
    "golive.confirmed": _("confirmed the import of %(object)s"),
    "golive.imported": _("imported %(object)s"),
    "golive.import_failed": _("could not import %(object)s"),
    "golive.undone": _("undid the import of %(object)s"),
    "golive.discarded": _("discarded the dry run of %(object)s"),
    "golive.superseded": _("replaced the dry run of %(object)s by a newer one"),
    "golive.dry_run_expired": _("discarded the dry run of %(object)s, left unconfirmed too long"),
    "case.migration_undone": _("removed %(object)s with its roster import"),
    "household.migration_undone": _("removed %(object)s with its roster import"),
    "document_number.allocate": _("assigned a document number to %(object)s"),
    "review.started": _("started the review of %(object)s"),
}

# access log (reads): action -> sentence
ACCESS_ACTIONS = {
    "export": _("exported %(object)s"),
    "payment_roll.export": _("exported %(object)s"),
    "household.view_id_numbers": _("viewed the full ID numbers of %(object)s"),
    "document.view": _("viewed %(object)s"),
    "document.download": _("downloaded %(object)s"),
    "household.reveal": _("viewed the full ID and bank account numbers of %(object)s"),
    "household.search_id_number": _("searched households by a full ID number"),
    "household.active_elsewhere_refused": _("entered an ID number already active in another household (refused)"),
    "golive.roster_export": _("exported the recipient roster %(object)s"),
}

# The verb of an action that is in neither table (a new action): said by its object, never by its code.
FALLBACK = _("acted on %(object)s")
ACCESS_FALLBACK = _("read %(object)s")


@dataclass(frozen=True)
class ObjectKind:
    """How one kind of logged object is named and where its page is."""

    label: str  # app_label.model_name, as the log stores it
    name: object  # lazy text: what the object is called in a sentence
    url_name: str = ""  # page of one object (pk as the only argument)
    select_related: tuple = ()


OBJECT_KINDS = {
    kind.label: kind for kind in (
        ObjectKind("cases.case", _("application"), "cases:detail", ("household",)),
        ObjectKind("households.household", _("household"), "households:detail"),
        ObjectKind("evidence.document", _("document")),
        ObjectKind("evidence.complaint", _("complaint"), "evidence:complaint_detail"),
        ObjectKind("recipients.review", _("review"), "recipients:review", ("case__household",)),
        ObjectKind("recipients.paymentroll", pgettext_lazy("object", "payment roll"), "recipients:payment_roll",
                   ("county",)),
        ObjectKind("overlaps.overlapflag", pgettext_lazy("object", "finding"), "overlaps:detail"),
        ObjectKind("poverty_registry.registryhousehold", _("registered household"), "poverty_registry:detail"),
        ObjectKind("jobs.job", _("background job"), "jobs:detail"),
        ObjectKind("reports.export", pgettext_lazy("object", "export"), "reports:export_detail"),
        ObjectKind("accounts.user", _("user")),
        ObjectKind("accounts.division", pgettext_lazy("object", "division")),
        ObjectKind("households.standard", _("dibao standard")),
    )
}


def _name_of(kind_label: str, obj) -> str:
    """The object's own name: a household by its head, an application by its household, ..."""
    if obj is None:
        return ""
    if kind_label == "cases.case":
        return _("%(head)s household, No. %(id)s") % {"head": obj.household.head_name, "id": obj.pk}
    if kind_label == "households.household":
        return _("%(head)s household") % {"head": obj.head_name}
    if kind_label == "recipients.review":
        return _("%(head)s household, due %(date)s") % {"head": obj.case.household.head_name,
                                                         "date": obj.due_date.isoformat()}
    if kind_label == "recipients.paymentroll":
        return f"{obj.county.name} {obj.month:%Y-%m}"
    if kind_label == "evidence.document":
        return f"{obj.get_document_type_display()} {obj.original_name}"
    if kind_label == "overlaps.overlapflag":
        return f"{obj.get_rule_display()} {_('No. %(id)s') % {'id': obj.pk}}"
    if kind_label == "poverty_registry.registryhousehold":
        return obj.registry_code
    if kind_label == "accounts.user":
        return obj.get_full_name() or obj.username
    if kind_label == "accounts.division":
        return obj.name
    if kind_label == "jobs.job":
        return str(_("No. %(id)s") % {"id": obj.pk})
    return str(_("No. %(id)s") % {"id": obj.pk})


def _model(label: str):
    try:
        return apps.get_model(label)
    except (LookupError, ValueError):
        return None


def load_objects(pairs) -> dict[tuple[str, str], object]:
    """(object type, id) -> object, one query per object type present."""
    wanted: dict[str, set[str]] = {}
    for object_type, object_id in pairs:
        if object_type in OBJECT_KINDS and object_id:
            wanted.setdefault(object_type, set()).add(object_id)
    found = {}
    for label, ids in wanted.items():
        model = _model(label)
        if model is None:
            continue
        pk_ids = [i for i in ids if i.isdigit()] if isinstance(model._meta.pk, models.AutoField | models.BigAutoField) \
            else list(ids)
        qs = model._default_manager.filter(pk__in=pk_ids)
        if OBJECT_KINDS[label].select_related:
            qs = qs.select_related(*OBJECT_KINDS[label].select_related)
        for obj in qs:
            found[(label, str(obj.pk))] = obj
    return found


def object_html(object_type: str, object_id: str, objects: dict | None):
    """'application 王一 household, No. 48' linked to its page; a kind without a page is plain text."""
    kind = OBJECT_KINDS.get(object_type)
    obj = (objects or {}).get((object_type, object_id))
    if kind is None:
        model = _model(object_type)
        noun = model._meta.verbose_name if model is not None else _("record")
        return fill(_("%(kind)s “%(name)s”"), kind=noun, name=_("No. %(id)s") % {"id": object_id})
    if obj is not None:
        name = _name_of(object_type, obj)
    elif objects is None:  # not looked up (the admin's list): the number only
        name = _("No. %(id)s") % {"id": object_id}
    else:
        name = _("No. %(id)s (no longer exists)") % {"id": object_id}
    text = fill(_("%(kind)s “%(name)s”"), kind=kind.name, name=name) if object_id else kind.name
    if obj is not None and kind.url_name:
        try:
            return format_html('<a href="{}">{}</a>', reverse(kind.url_name, args=[obj.pk]), text)
        except NoReverseMatch:
            return text
    return text


def fill(template, **parts):
    """A translated template with its %(name)s placeholders filled: the template's own text and plain
    parts are escaped, parts that are already safe HTML (links) are kept."""
    pieces = re.split(r"%\((\w+)\)s", str(template))
    out = [conditional_escape(piece) if index % 2 == 0 else conditional_escape(parts[piece])
           for index, piece in enumerate(pieces)]
    return mark_safe("".join(out))  # noqa: S308 - every piece is escaped above


def sentence(action: str, object_markup, *, access: bool = False):
    table, fallback = (ACCESS_ACTIONS, ACCESS_FALLBACK) if access else (ACTIONS, FALLBACK)
    return fill(table.get(action, fallback), object=object_markup)


def action_label(action: str, *, access: bool = False) -> str:
    """The sentence without its object, for the action filter's choices."""
    table, fallback = (ACCESS_ACTIONS, ACCESS_FALLBACK) if access else (ACTIONS, FALLBACK)
    return str(table.get(action, fallback)).replace("%(object)s", "…").strip(" :：")


def _display(field, value):
    if value is None or value == "":
        return "—"
    if isinstance(value, bool):
        return str(_("yes") if value else _("no"))
    if field is not None and field.choices:
        return str(dict(field.flatchoices).get(value, value))
    if isinstance(value, dict | list):
        return "、".join(f"{_display(None, v)}" for v in (value.values() if isinstance(value, dict) else value))
    return str(value)


# Members, incomes and assets are logged under their household: their fields are the part's own.
ACTION_MODELS = {"member": "households.member", "income": "households.incomeitem", "asset": "households.asset"}
# Row ids of those parts: numbers with no meaning on a page.
HIDDEN_KEYS = {"member", "income", "asset"}


def changes(object_type: str, before: dict | None, after: dict | None, action: str = "") -> list[tuple[str, str, str]]:
    """(field name, old value, new value) in words: verbose names and choice labels, never code names."""
    model = _model(ACTION_MODELS.get(action.split(".", 1)[0], object_type))
    keys = [k for k in dict.fromkeys([*(before or {}), *(after or {})]) if k not in HIDDEN_KEYS]
    rows = []
    for key in keys:
        field = None
        if model is not None:
            try:
                field = model._meta.get_field(key)
            except FieldDoesNotExist:
                field = None
        label = str(field.verbose_name) if field is not None and hasattr(field, "verbose_name") else FIELD_WORDS.get(
            key, _("other detail"))
        rows.append((str(label), _display(field, (before or {}).get(key)), _display(field, (after or {}).get(key))))
    return rows


# Keys the services log that are not model fields (counts, reasons, summaries).
FIELD_WORDS = {
    "reason": _("reason"),
    "note": _("note"),
    "status": _("status"),
    "members": _("members"),
    "count": _("number"),
    "rows": _("rows"),
    "file": _("file"),
    "format": _("format"),
    "report": _("report"),
    "purpose": _("stated purpose"),
    "filters": _("filters"),
    "visit_number": _("visit number"),
    "amount": _("amount"),
    "monthly_amount": _("monthly amount"),
    "outcome": _("outcome"),
}


# The access log's details: the values services write as codes, in words.
ACCESS_DETAIL_WORDS = {
    "report_title": _("report"),
    "row_count": _("number of rows"),
    "id_numbers": _("ID numbers"),
    "delivery": _("delivery"),
}
ACCESS_DETAIL_VALUES = {
    "format": {"csv": "CSV", "xlsx": "Excel"},
    "id_numbers": {"full": _("shown in full"), "masked": _("masked"), "none": _("none in the report")},
    "delivery": {"stream": _("downloaded at once"), "job": _("prepared in the background")},
}
# The report's key is a code name: the page shows its title (report_title, written in the source language
# and translated here) instead.
ACCESS_DETAIL_HIDDEN = {"report"}


def access_detail(detail: dict | None) -> list[tuple[str, str, str]]:
    """An access-log entry's details as (label, value, "") rows in words, like `changes`."""
    rows = []
    for key, value in (detail or {}).items():
        if key in ACCESS_DETAIL_HIDDEN:
            continue
        label = ACCESS_DETAIL_WORDS.get(key) or FIELD_WORDS.get(key, _("other detail"))
        if key == "report_title" and isinstance(value, str):
            shown = gettext(value) if value else "—"
        elif isinstance(value, str) and value in ACCESS_DETAIL_VALUES.get(key, {}):
            shown = str(ACCESS_DETAIL_VALUES[key][value])
        else:
            shown = _display(None, value)
        rows.append((str(label), shown, ""))
    return rows
