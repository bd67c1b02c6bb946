"""The audit log in words on other apps' pages (a household's change history)."""

from django import template
from django.utils.translation import gettext as _

from audit import humanize

register = template.Library()


@register.simple_tag
def event_sentence(event, subject=None):
    """What happened, said of `subject` (default: "this household")."""
    return humanize.sentence(event.action, subject if subject is not None else _("this household"))


@register.simple_tag
def event_changes(event):
    """[(field, before, after)] with field names and choice labels."""
    return humanize.changes(event.object_type, event.before, event.after, event.action)
