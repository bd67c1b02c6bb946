"""The shared-registry rules, by code. Each rule is one class with code, severity, title,
explanation (shown to users, translated) and a set-based `scan(prefix, person_ids=None)`."""

from overlaps.rules.applications import ApplicationRosterConflict
from overlaps.rules.cases import StaffRelative
from overlaps.rules.income import EdgeHousehold, IneligibleRecipient, ProtectionGap, StatusConflict
from overlaps.rules.persons import DoubleDibao, DuplicatePersonHouseholds, ProbableDuplicate

RULES = {rule.code: rule for rule in (
    DuplicatePersonHouseholds(), DoubleDibao(), ProbableDuplicate(), ProtectionGap(), IneligibleRecipient(),
    StatusConflict(), StaffRelative(), EdgeHousehold(), ApplicationRosterConflict(),
)}
