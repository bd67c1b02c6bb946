"""Every paginated list page shows its pages with templates/_pagination.html (tests/households/test_pages.py
checks that it keeps the filters)."""

from pathlib import Path

from django.conf import settings

ROOT = Path(settings.BASE_DIR)


def test_no_template_has_its_own_copy_of_the_pager():
    folders = [ROOT / "templates", *(p for p in ROOT.glob("*/templates") if not p.parent.name.startswith("."))]
    own = [str(p.relative_to(ROOT)) for folder in folders for p in folder.glob("**/*.html")
           if "previous_page_number" in p.read_text(encoding="utf-8")]
    assert own == ["templates/_pagination.html"]
