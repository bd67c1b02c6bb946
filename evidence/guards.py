"""Questions the case workflow asks before a transition (wired into cases/workflow.py on merge).

- `missing_documents_for_submit(case)`: required types missing before submit;
- `missing_documents_for_signed_visit(case, visit_number)`: before a visit is recorded as signed;
- `case_requires_county_visit(case)`: a complaint requires a county visit before the decision.
The lists are human-readable labels so the refusal message can name what is missing.
"""

from datetime import date

from django.db.models import Q
from django.utils import timezone

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


def county_code(division_code: str) -> str:
    return division_code[:6] + "000000"


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
    required = required_types(county_code(case.division_code), Stage.SUBMIT)
    if not required:
        return []
    present = set(Document.objects.live().filter(
        Q(case=case) | Q(household_id=case.household_id, target_type=TargetType.HOUSEHOLD),
        document_type__in=required).values_list("document_type", flat=True))
    return _labels([t for t in required if t not in present])


def missing_documents_for_signed_visit(case, visit_number: int) -> list[str]:
    required = required_types(county_code(case.division_code), Stage.VISIT_SIGNED)
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
