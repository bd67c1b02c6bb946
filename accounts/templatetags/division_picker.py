"""{% division_picker "division" selected_code %}: the cascading county -> township -> village selects."""

from django import template

from accounts import picker

register = template.Library()


@register.inclusion_tag("accounts/_division_picker.html", takes_context=True)
def division_picker(context, field="division", selected=""):
    return {"chain": picker.picker(context["request"].user, field=field, selected=selected or "")}
