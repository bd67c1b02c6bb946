"""Document numbers (文号) of decision and refusal letters: per county and year, allocated once per letter
under a lock on the county's counter row, never reused, each allocation audited."""

from datetime import date

from django.db import transaction

from accounts.divisions import county_division
from audit.services import record
from cases.models import CountyOffice, Decision, DocumentNumber, DocumentNumberCounter


def number_text(prefix: str, year: int, number: int) -> str:
    return f"{prefix}〔{year}〕第{number}号"


def letter_number_allocate(*, actor, decision: Decision, on_date: date) -> DocumentNumber:
    """The decision's document number: the one it has, else the county's next number of the year."""
    with transaction.atomic():
        existing = DocumentNumber.objects.filter(decision=decision).first()
        if existing is not None:
            return existing
        county = county_division(decision.case.division_code)
        year = on_date.year
        DocumentNumberCounter.objects.get_or_create(county=county, year=year)
        counter = DocumentNumberCounter.objects.select_for_update().get(county=county, year=year)
        counter.last_number += 1
        counter.save(update_fields=["last_number"])
        office = CountyOffice.objects.filter(county=county).first()
        prefix = office.number_prefix if office else county.name
        number = DocumentNumber.objects.create(county=county, year=year, number=counter.last_number,
                                               text=number_text(prefix, year, counter.last_number),
                                               decision=decision)
        record(actor=actor, action="document_number.allocate", obj=number, division_code=decision.case.division_code,
               after={"text": number.text, "decision": decision.pk, "case": decision.case_id,
                      "outcome": decision.outcome})
        return number
