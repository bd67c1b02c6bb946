"""`{% page_query n %}`: the page's query string with `page` set to n, for templates/_pagination.html."""

from django import template

register = template.Library()


@register.simple_tag(takes_context=True)
def page_query(context, number) -> str:
    """The current query string (the list's filters) with `page` replaced by `number`."""
    query = context["request"].GET.copy()
    query["page"] = number
    return query.urlencode()
