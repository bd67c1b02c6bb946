"""Cascading division picker (county -> township -> village) for every list filter that takes a division.

Each level is a <select name="<field>"> whose change asks the server (htmx, no inline script: the CSP
forbids it) for the next level's <select>, nested after it; the form therefore sends the field once
per level and the deepest non-empty value is the chosen division (`picked_code`). The first select
lists the children of the user's own division: a county officer starts at the townships, a city
auditor at the counties; village staff have nothing to pick.
"""

from django.utils.translation import gettext_lazy as _

from accounts.divisions import ancestor_code
from accounts.models import LEVEL_ORDER, Division, Level
from accounts.selectors import divisions_visible

PROMPTS = {
    Level.PROVINCE: _("All provinces"), Level.CITY: _("All cities"), Level.COUNTY: _("All counties"),
    Level.TOWNSHIP: _("All townships"), Level.VILLAGE: _("All villages"),
}


def picked_code(data, field: str = "division") -> str:
    """The deepest non-empty value of the field (the picker sends one per level)."""
    values = data.getlist(field) if hasattr(data, "getlist") else [data.get(field, "")]
    values = [v.strip() for v in values if v and v.strip()]
    return values[-1] if values else ""


def _root(user):
    return user.division if getattr(user, "division_id", None) else None


def _children(user, parent: Division | None):
    qs = divisions_visible(user)
    if parent is None:
        qs = qs.filter(level=Level.PROVINCE)
    else:
        qs = qs.filter(parent_id=parent.pk)
    return list(qs.order_by("code"))


def level_select(user, parent: Division | None, *, field: str, selected: str = "") -> dict | None:
    """One <select>: the children of `parent` in the user's area, or None when there are none."""
    options = _children(user, parent)
    if not options:
        return None
    level = options[0].level
    return {"field": field, "level": level, "prompt": PROMPTS.get(level, _("All")), "options": options,
            "selected": selected, "label": Level(level).label}


def picker(user, *, field: str = "division", selected: str = "") -> list[dict]:
    """The chain of selects from the user's division down to the selected one (and one level below it)."""
    root = _root(user)
    if root is not None and root.level == Level.VILLAGE:
        return []
    chain = []
    parent = root
    selected_division = None
    if selected:
        selected_division = divisions_visible(user).filter(code=selected).first()
    path_codes = []
    if selected_division is not None:
        start = LEVEL_ORDER.index(root.level) + 1 if root is not None else 0
        for level in LEVEL_ORDER[start:LEVEL_ORDER.index(selected_division.level) + 1]:
            path_codes.append(ancestor_code(selected_division.code, level))
    for depth in range(len(LEVEL_ORDER)):
        chosen = path_codes[depth] if depth < len(path_codes) else ""
        select = level_select(user, parent, field=field, selected=chosen)
        if select is None:
            break
        chain.append(select)
        if not chosen:
            break
        parent = next((d for d in select["options"] if d.code == chosen), None)
        if parent is None or parent.level == Level.VILLAGE:
            break
    return chain


def with_picked(data, field: str = "division"):
    """A copy of the request's query with the picker's field reduced to the chosen (deepest) code, so a
    form reads one value."""
    if not hasattr(data, "getlist") or field not in data:
        return data
    copy = data.copy()
    copy.setlist(field, [picked_code(data, field)])
    return copy


def scoped_code(user, data, field: str = "division", legacy: tuple[str, ...] = ("village",)) -> str:
    """The division a list is filtered to: the picker's deepest value (or, for links written before the
    picker, the old single-value parameter such as `village`), kept only when it is a division in the user's
    area. A code outside the area, unknown or malformed is ignored (the list shows the user's whole area), so
    the filter can never widen what the scoped query returns nor tell whether a foreign code exists."""
    code = picked_code(data, field) if field in data else ""
    for name in legacy:
        if not code and name in data:
            code = picked_code(data, name)
    if not code or not code.isdigit() or len(code) > 12:
        return ""
    return code if divisions_visible(user).filter(code=code).exists() else ""
