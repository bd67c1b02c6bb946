"""Every write of documents and complaints. Each writes its audit event in the same transaction."""

from datetime import date

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Role, User
from accounts.scoping import WRITER_ROLES, division_in_scope, require_role
from audit.services import record
from cases.models import DECIDED_STATES
from dibao.errors import Conflict, DomainError, InvalidTransition
from evidence import files
from evidence.deadlines import add_working_days, complaint_working_days
from evidence.models import (
    Complaint,
    ComplaintChannel,
    ComplaintOutcome,
    ComplaintStatus,
    Document,
    DocumentType,
    TargetType,
)
from evidence.selectors import Target


def _document_snapshot(document: Document) -> dict:
    return {"uuid": str(document.uuid), "target_type": document.target_type, "household": document.household_id,
            "case": document.case_id, "visit_number": document.visit_number,
            "document_type": document.document_type, "original_name": document.original_name,
            "content_type": document.content_type, "size": document.size, "sha256": document.sha256}


def document_upload(*, actor: User, target: Target, document_type: str, uploaded_file, note: str = "") -> Document:
    """Check the file by its content, store it privately under a random name, record it.

    The target must already be resolved in the actor's scope (selectors.target_for_user).
    """
    require_role(actor, *WRITER_ROLES)
    if document_type not in DocumentType.values:
        raise DomainError(_("Choose a document type."), fields={"document_type": [_("Choose a document type.")]})
    if len(note) > 200:
        raise DomainError(fields={"note": [_("At most 200 characters.")]})
    checked = files.check_upload(uploaded_file)
    stored_name, thumbnail_name = files.write_files(checked)
    try:
        with transaction.atomic():
            document = Document.objects.create(
                target_type=target.target_type, household=target.household, case=target.case,
                visit_number=target.visit_number, visit_id=target.visit_id, document_type=document_type,
                original_name=checked.original_name, stored_name=stored_name, thumbnail_name=thumbnail_name,
                content_type=checked.content_type, size=len(checked.content), sha256=checked.sha256,
                width=checked.width, height=checked.height, note=note, division_code=target.division_code,
                uploaded_by=actor,
            )
            record(actor=actor, action="document.uploaded", obj=document, division_code=document.division_code,
                   after=_document_snapshot(document))
            if document.case_id:
                record(actor=actor, action="case.document_uploaded", obj=document.case,
                       division_code=document.division_code,
                       after={"document": str(document.uuid), "document_type": document_type})
    except Exception:
        files.remove_files(stored_name, thumbnail_name)  # nothing stored when the row is not
        raise
    return document


def visit_signed_record_store(case, actor: User, data: dict) -> Document | None:
    """The visit transition's effect (cases.workflow): the signed visit record sent with the visit's form is
    stored as the visit's document in the same transaction, so a signed visit is recorded in one post."""
    uploaded = data.get("signed_record")
    if not uploaded:
        return None
    number = int(data["number"])
    visit = case.visits.get(round=case.investigation_round, number=number)
    target = Target(TargetType.VISIT, case.household, case, visit_number=number, visit_id=visit.pk)
    try:
        return document_upload(actor=actor, target=target, document_type=DocumentType.VISIT_RECORD,
                               uploaded_file=uploaded)
    except DomainError as error:  # the file's problem, said on the form's file field
        if error.fields and "file" in error.fields:
            raise DomainError(error.message, code=error.code, fields={"signed_record": error.fields["file"]}) from None
        raise


def document_delete(*, actor: User, document: Document, reason: str) -> Document:
    """Soft delete: the row and the file stay for the audit trail; lists and serving skip it."""
    require_role(actor, *WRITER_ROLES)
    reason = (reason or "").strip()
    if not reason:
        raise DomainError(_("Say why the document is removed."), fields={"reason": [_("This field is required.")]})
    with transaction.atomic():
        document = Document.objects.select_for_update(of=("self",)).select_related("case").get(pk=document.pk)
        if document.deleted_at is not None:
            raise Conflict(_("The document was already removed."))
        if document.case_id and document.case.status in DECIDED_STATES:
            raise Conflict(_("The case has been decided (%(status)s); its documents are part of the decision "
                             "record and cannot be removed.") % {"status": document.case.get_status_display()},
                           code="case_decided")
        document.deleted_at = timezone.now()
        document.deleted_by = actor
        document.deleted_reason = reason[:200]
        document.save(update_fields=["deleted_at", "deleted_by", "deleted_reason"])
        record(actor=actor, action="document.deleted", obj=document, division_code=document.division_code,
               before=_document_snapshot(document), after={"deleted_reason": document.deleted_reason})
        if document.case_id:
            record(actor=actor, action="case.document_deleted", obj=document.case,
                   division_code=document.division_code,
                   after={"document": str(document.uuid), "reason": document.deleted_reason})
    return document


# ---- complaints -------------------------------------------------------------------------------

def _complaint_snapshot(c: Complaint) -> dict:
    return {"status": c.status, "assigned_to": c.assigned_to_id, "outcome": c.outcome, "deadline": c.deadline}


def _case_event(*, actor, complaint: Complaint, action: str, after: dict) -> None:
    """Mirror a complaint event on the case so it appears on the case timeline."""
    if complaint.case_id:
        record(actor=actor, action=action, obj=complaint.case, object_type="cases.case",
               division_code=complaint.case.division_code, after={"complaint": complaint.pk, **after})


def complaint_record(*, actor: User, text: str, channel: str, received_on: date | None = None,
                     case=None, household=None, staff_member: User | None = None, anonymous: bool = False,
                     complainant_name: str = "", complainant_contact: str = "") -> Complaint:
    """Record a complaint. Subjects must already be resolved in the actor's scope."""
    require_role(actor, Role.COUNTY_OFFICER)
    errors: dict[str, list] = {}
    if not (case or household or staff_member):
        errors["subject"] = [_("Name what the complaint is about: a case, a household or a staff member.")]
    if not (text or "").strip():
        errors["text"] = [_("This field is required.")]
    if channel not in ComplaintChannel.values:
        errors["channel"] = [_("Choose a channel.")]
    if anonymous and complainant_name.strip():
        errors["complainant_name"] = [_("An anonymous complaint has no complainant name.")]
    received_on = received_on or timezone.localdate()
    if received_on > timezone.localdate():
        errors["received_on"] = [_("The date cannot be in the future.")]
    if case is not None and household is not None and case.household_id != household.pk:
        errors["household"] = [_("The household is not the case's household.")]
    if staff_member is not None and (staff_member.is_admin_role or staff_member.division_id is None
                                     or not division_in_scope(actor, staff_member.division)):
        errors["staff_member"] = [_("Choose a staff member of your area.")]
    if errors:
        raise DomainError(_("The complaint could not be recorded."), fields=errors)
    if case is not None:
        household = household or case.household
        division_code = case.division_code
    elif household is not None:
        division_code = household.division_code
    else:
        division_code = staff_member.division.code
    with transaction.atomic():
        complaint = Complaint.objects.create(
            anonymous=anonymous, complainant_name="" if anonymous else complainant_name.strip()[:50],
            complainant_contact=complainant_contact.strip()[:100], case=case, household=household,
            staff_member=staff_member, text=text.strip(), channel=channel, received_on=received_on,
            deadline=add_working_days(received_on, complaint_working_days()), division_code=division_code,
            recorded_by=actor,
        )
        record(actor=actor, action="complaint.recorded", obj=complaint, division_code=division_code,
               after={**_complaint_snapshot(complaint), "channel": channel, "case": complaint.case_id,
                      "household": complaint.household_id, "staff_member": complaint.staff_member_id})
        _case_event(actor=actor, complaint=complaint, action="case.complaint_recorded",
                    after={"channel": channel, "deadline": complaint.deadline})
    return complaint


def _locked(complaint_id: int) -> Complaint:
    return Complaint.objects.select_for_update(of=("self",)).select_related("case").get(pk=complaint_id)


def complaint_assign(*, actor: User, complaint: Complaint, assigned_to: User) -> Complaint:
    require_role(actor, Role.COUNTY_OFFICER)
    if (assigned_to is None or assigned_to.role != Role.COUNTY_OFFICER or not assigned_to.is_active
            or assigned_to.division is None or not complaint.division_code.startswith(assigned_to.division.prefix)):
        raise DomainError(_("Assign the complaint to a county officer of its county."),
                          fields={"assigned_to": [_("Choose a county officer of the complaint's county.")]})
    with transaction.atomic():
        c = _locked(complaint.pk)
        if c.status == ComplaintStatus.RESOLVED:
            raise InvalidTransition(_("The complaint is resolved; it can no longer be assigned."))
        before = _complaint_snapshot(c)
        c.assigned_to = assigned_to
        c.save(update_fields=["assigned_to", "updated_at"])
        record(actor=actor, action="complaint.assigned", obj=c, division_code=c.division_code,
               before=before, after=_complaint_snapshot(c))
    return c


def complaint_start_investigation(*, actor: User, complaint: Complaint) -> Complaint:
    require_role(actor, Role.COUNTY_OFFICER)
    with transaction.atomic():
        c = _locked(complaint.pk)
        if c.status != ComplaintStatus.RECEIVED:
            raise InvalidTransition(_("Only a received complaint can be taken into investigation."))
        before = _complaint_snapshot(c)
        c.status = ComplaintStatus.INVESTIGATING
        if c.assigned_to_id is None:
            c.assigned_to = actor  # whoever starts the investigation owns it unless assigned
        c.save(update_fields=["status", "assigned_to", "updated_at"])
        record(actor=actor, action="complaint.investigation_started", obj=c, division_code=c.division_code,
               before=before, after=_complaint_snapshot(c))
    return c


def complaint_resolve(*, actor: User, complaint: Complaint, findings: str, outcome: str) -> Complaint:
    require_role(actor, Role.COUNTY_OFFICER)
    errors = {}
    if not (findings or "").strip():
        errors["findings"] = [_("Write down what the investigation found.")]
    if outcome not in ComplaintOutcome.values:
        errors["outcome"] = [_("Choose an outcome.")]
    if errors:
        raise DomainError(_("The complaint could not be resolved."), fields=errors)
    with transaction.atomic():
        c = _locked(complaint.pk)
        if c.status != ComplaintStatus.INVESTIGATING:
            raise InvalidTransition(_("Only a complaint under investigation can be resolved."))
        before = _complaint_snapshot(c)
        c.status = ComplaintStatus.RESOLVED
        c.findings = findings.strip()
        c.outcome = outcome
        c.resolved_at = timezone.now()
        c.resolved_by = actor
        c.save(update_fields=["status", "findings", "outcome", "resolved_at", "resolved_by", "updated_at"])
        record(actor=actor, action="complaint.resolved", obj=c, division_code=c.division_code,
               before=before, after=_complaint_snapshot(c))
        _case_event(actor=actor, complaint=c, action="case.complaint_resolved", after={"outcome": outcome})
    return c

