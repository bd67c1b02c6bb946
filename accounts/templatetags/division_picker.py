"""{% division_picker "division" selected_code %}: the cascading county -> township -> village selects."""

from django import template

from accounts import picker

register = template.Library()


@register.inclusion_tag("accounts/_division_picker.html", takes_context=True)
def division_picker(context, field="division", selected="", autosubmit=False, label=""):
    """`autosubmit`: the list reloads on each pick (the levels below the changed one are left out, so the
    changed level is the one chosen); otherwise the next level arrives by htmx and a button sends the form.
    `label`: a heading shown above the selects (nothing at all is shown to village staff, who have none)."""
    return {"chain": picker.picker(context["request"].user, field=field, selected=selected or ""),
            "autosubmit": autosubmit, "label": label}
