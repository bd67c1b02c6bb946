"""`{% list_url "cases:list" division=code status="active" as url %}`: the filtered list behind a figure."""

from urllib.parse import urlencode

from django import template
from django.urls import reverse

register = template.Library()


@register.simple_tag
def list_url(name, **params):
    url = reverse(name)
    query = urlencode({k: v for k, v in params.items() if v not in (None, "")})
    return f"{url}?{query}" if query else url


def _number(value):
    if value in (None, ""):
        return None
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


@register.filter
def percent(value):
    number = _number(value)
    return "—" if number is None else f"{number:.1f}%"


@register.filter
def days(value):
    number = _number(value)
    return "—" if number is None else f"{number:.1f}"


@register.filter
def yuan(value):
    number = _number(value)
    return "—" if number is None else f"{number:,.2f}"
