# The case walker of tests/cases (drives a draft through the workflow with the real services).
from tests.cases.conftest import draft, household, investigator, standard, walker  # noqa: F401
