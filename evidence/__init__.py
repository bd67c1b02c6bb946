"""Evidence: the documents behind every dibao decision, and the complaints register.

Why its own app and not part of households/ or cases/: a document attaches to a household, a
case or a home visit, and a complaint concerns a case, a household or a staff member, so both
sit *beside* those apps rather than inside one of them. The workflow (cases/workflow.py) only
asks this app questions through `evidence.guards` (which required documents are missing, does
a complaint require a county visit); keeping the files, their private serving and the
complaints register here keeps cases/ about the case workflow and lets the dependency point
one way: accounts <- households <- cases <- evidence.
"""
