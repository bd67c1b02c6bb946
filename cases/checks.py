"""A system check (`manage.py check`, run at every start): every dotted path the workflow table names
imports and is callable, and every page it names is a URL, so a typo or a renamed guard fails at once
instead of when someone first fires that transition."""

from django.core.checks import Error
from django.urls import NoReverseMatch, reverse
from django.utils.module_loading import import_string

from cases import workflow


def check_workflow_table(app_configs=None, **kwargs) -> list[Error]:
    errors = []
    for transition in workflow.TRANSITIONS.values():
        where = f"cases.workflow.TRANSITIONS[{transition.action!r}]"
        for path in transition.paths():
            try:
                target = import_string(path)
            except ImportError as error:
                errors.append(Error(f"{where} names {path!r}, which does not import: {error}",
                                    hint="Fix the dotted path in the table.", obj=where, id="cases.E001"))
                continue
            if not callable(target):
                errors.append(Error(f"{where} names {path!r}, which is not callable.",
                                    obj=where, id="cases.E002"))
        if transition.page:
            try:
                reverse(transition.page, args=[1])
            except NoReverseMatch:
                errors.append(Error(f"{where} names the page {transition.page!r}, which is not a URL taking "
                                    f"a case id.", obj=where, id="cases.E003"))
    return errors
