"""`{% list_url "cases:list" division=code status="active" as url %}`: the filtered list behind a figure.

Returns "" when the url name does not exist (those pages land in parallel), so the template
shows the plain number instead of a broken link.
"""

from urllib.parse import urlencode

from django import template
from django.urls import NoReverseMatch, reverse

register = template.Library()


@register.simple_tag
def list_url(name, **params):
    try:
        url = reverse(name)
    except NoReverseMatch:
        return ""
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
