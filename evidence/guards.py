"""Questions the case workflow asks before a transition (named in the rows of cases.workflow.TRANSITIONS).

- `missing_documents_for_submit(case)`: required types missing before submit;
- `missing_documents_for_signed_visit(case, visit_number)`: before a visit is recorded as signed;
- `case_requires_county_visit(case)`: a complaint requires a county visit before the decision.
The lists are human-readable labels so the refusal message can name what is missing.
"""

from datetime import date

from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.divisions import county_code_of
from accounts.models import Role
from dibao.errors import Conflict, DomainError
from evidence.models import (
    OPEN_COMPLAINT_STATES,
    UPHELD_OUTCOMES,
    Complaint,
    ComplaintStatus,
    Document,
    DocumentType,
    RequiredDocument,
    Stage,
    TargetType,
)


def required_types(county_code_: str, stage: str, on: date | None = None) -> list[str]:
    """Document types required in the county at the stage on the day, in DocumentType order."""
    on = on or timezone.localdate()
    decided: dict[str, bool] = {}
    rows = (RequiredDocument.objects.filter(county__code=county_code_, stage=stage, effective_from__lte=on)
            .order_by("document_type", "-effective_from").values_list("document_type", "required"))
    for document_type, required in rows:
        decided.setdefault(document_type, required)  # the latest row per type decides
    return [value for value in DocumentType.values if decided.get(value)]


def _labels(types: list[str]) -> list[str]:
    return [str(DocumentType(value).label) for value in types]


def missing_documents_for_submit(case) -> list[str]:
    required = required_types(county_code_of(case.division_code), Stage.SUBMIT)
    if not required:
        return []
    present = set(Document.objects.live().filter(
        Q(case=case) | Q(household_id=case.household_id, target_type=TargetType.HOUSEHOLD),
        document_type__in=required).values_list("document_type", flat=True))
    return _labels([t for t in required if t not in present])


def missing_documents_for_signed_visit(case, visit_number: int, *, attached: tuple[str, ...] = ()) -> list[str]:
    """`attached`: types sent with the visit itself (its signed record), stored once the visit is recorded."""
    required = [t for t in required_types(county_code_of(case.division_code), Stage.VISIT_SIGNED)
                if t not in attached]
    if not required:
        return []
    present = set(Document.objects.live().filter(
        case=case, target_type=TargetType.VISIT, visit_number=visit_number,
        document_type__in=required).values_list("document_type", flat=True))
    return _labels([t for t in required if t not in present])


def case_requires_county_visit(case) -> bool:
    """True while a complaint about the case is open, or once one was (partly) upheld."""
    return Complaint.objects.filter(case=case).filter(
        Q(status__in=OPEN_COMPLAINT_STATES) | Q(status=ComplaintStatus.RESOLVED, outcome__in=UPHELD_OUTCOMES)
    ).exists()


# --- the workflow's guards (named in cases.workflow.TRANSITIONS) -------------------------------


def _refuse(code: str, field: str, message: str, missing: list[str]) -> None:
    raise DomainError(f"{message} {'、'.join(missing)}" if missing else message, code=code,
                      fields={field: [message + " " + "、".join(missing)]})


def guard_submit_documents(case, actor, data) -> None:
    missing = missing_documents_for_submit(case)
    if missing:
        _refuse("missing_documents", "documents", str(_("Upload the required documents first:")), missing)


def guard_signed_visit_record(case, actor, data) -> None:
    if not data.get("applicant_signed"):
        return
    attached = (DocumentType.VISIT_RECORD,) if data.get("signed_record") else ()
    missing = missing_documents_for_signed_visit(case, int(data.get("number") or 0), attached=attached)
    if missing:
        _refuse("missing_documents", "applicant_signed",
                str(_("A signed visit needs its documents uploaded first:")), missing)


def has_county_visit_since_complaint(case) -> bool:
    first = Complaint.objects.filter(case=case).order_by("received_on").values_list("received_on", flat=True).first()
    visits = case.visits.filter(investigators__role=Role.COUNTY_OFFICER)
    if first:
        visits = visits.filter(visit_date__gte=first)
    return visits.exists()


def guard_decision_after_complaint(case, actor, data) -> None:
    """A complained-about case needs a visit by a county officer before anyone decides it."""
    if case_requires_county_visit(case) and not has_county_visit_since_complaint(case):
        raise Conflict(_("A complaint concerns this case: a county officer must visit the household "
                         "before the decision. Use “Investigate again” to record that visit."),
                       code="county_visit_required")
