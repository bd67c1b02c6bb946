"""The one way a page shows a service's refusal on the form that sent the input."""

from dibao.errors import DomainError, NotFound


def show_domain_error(form, error: DomainError, *, formsets: dict | None = None) -> dict[str, list[str]]:
    """Put the error's messages where the user typed: each field error on its field, the rest on the form.

    `formsets` maps a name to (formset, the form index of each row sent): "members.2.name" goes on field
    `name` of the third member row sent. Messages naming a formset but no row come back keyed by the
    formset's name, for the page to show above it. Without field errors the message is the form's error.
    NotFound is not about the input: it propagates, and the page answers 404.
    """
    if isinstance(error, NotFound):
        raise error
    formsets = formsets or {}
    sections: dict[str, list[str]] = {}
    if not error.fields:
        form.add_error(None, str(error.message))
        return sections
    for key, messages in error.fields.items():
        messages = [str(m) for m in messages]
        name, _dot, rest = key.partition(".")
        if name in formsets:
            formset, sent = formsets[name]
            row, _dot, field = rest.partition(".")
            if row.isdigit() and int(row) < len(sent) and field:
                target = formset.forms[sent[int(row)]]
                for message in messages:
                    target.add_error(field if field in target.fields else None, message)
            else:
                sections.setdefault(name, []).extend(messages)
            continue
        for message in messages:
            form.add_error(key if key in form.fields else None, message)
    return sections
