"""Serving stored documents: only after the caller loaded the row through a scoped selector."""

from django.http import FileResponse, Http404
from django.utils.cache import patch_cache_control

from audit.services import record_access
from evidence import files
from evidence.models import Document

INLINE_TYPES = {files.PDF, files.JPEG, files.PNG}


def serve_document(request, document: Document, *, inline: bool = False, thumbnail: bool = False):
    name = document.thumbnail_name if thumbnail else document.stored_name
    if not name:
        raise Http404
    try:
        handle = files.stored_path(name).open("rb")
    except (FileNotFoundError, OSError):
        raise Http404 from None
    if not thumbnail:
        record_access(user=request.user, action="document.view" if inline else "document.download",
                      obj=document, division_code=document.division_code)
    content_type = "image/jpeg" if thumbnail else document.content_type
    response = FileResponse(handle, content_type=content_type,
                            as_attachment=not (inline and content_type in INLINE_TYPES),
                            filename=document.original_name)
    response["X-Content-Type-Options"] = "nosniff"
    # The file itself never runs anything; no sandbox directive, which would stop browsers' PDF viewers.
    response["Content-Security-Policy"] = "default-src 'none'; img-src 'self'; frame-ancestors 'none'"
    patch_cache_control(response, private=True, no_store=True)
    return response
