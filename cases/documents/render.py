"""A document as a printable page, or (?format=pdf) as an A4 PDF made by WeasyPrint from the same template.

Why WeasyPrint: it lays out HTML and CSS (paged media: @page, A4) with Pango, so the PDF is the page the
officer sees, Chinese included, with the server's CJK font named by family; it fetches nothing (the fetcher
below refuses every URL: the stylesheet is handed over from the static files, no CDN, no request to itself).
"""

from django.contrib.staticfiles import finders
from django.http import HttpResponse
from django.template.loader import render_to_string
from weasyprint import CSS, HTML

from audit.services import record_access

PAGE_LAYOUT = "cases/documents/_page.html"
PDF_LAYOUT = "cases/documents/_pdf.html"
STYLESHEET = "css/documents.css"


def _no_fetch(url, *args, **kwargs):
    raise ValueError(f"documents fetch nothing: {url}")


def pdf_bytes(html: str) -> bytes:
    return HTML(string=html, url_fetcher=_no_fetch).write_pdf(stylesheets=[CSS(filename=finders.find(STYLESHEET))])


def wants_pdf(request) -> bool:
    return request.GET.get("format") == "pdf"


def document_response(request, template: str, context: dict, *, filename: str, obj=None,
                      division_code: str = "") -> HttpResponse:
    """The page, or the PDF download (recorded in the access log: documents carry personal data)."""
    pdf = wants_pdf(request)
    query = request.GET.copy()
    query.pop("format", None)
    html = render_to_string(template, {**context, "layout": PDF_LAYOUT if pdf else PAGE_LAYOUT, "pdf": pdf,
                                       "query": query.urlencode()}, request=request)
    if not pdf:
        return HttpResponse(html)
    response = HttpResponse(pdf_bytes(html), content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{filename}.pdf"'
    record_access(user=request.user, action="document.download", obj=obj, division_code=division_code,
                  detail={"document": filename})
    return response
