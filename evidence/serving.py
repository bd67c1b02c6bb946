"""Serving stored documents: only after the caller loaded the row through a scoped selector."""

import re
import unicodedata
from pathlib import PurePosixPath
from urllib.parse import quote

from django.utils.cache import patch_cache_control

from audit.services import record_access
from dibao import filecrypt
from dibao.errors import NotFound
from evidence import files
from evidence.models import Document

INLINE_TYPES = {files.PDF, files.JPEG, files.PNG}


def serve_document(request, document: Document, *, inline: bool = False, thumbnail: bool = False):
    name = document.thumbnail_name if thumbnail else document.stored_name
    if not name:
        raise NotFound()
    content_type = "image/jpeg" if thumbnail else document.content_type
    try:
        # Decrypted as it is sent; a wrong key raises DecryptionFailed here (a 503 page), before any byte.
        response = filecrypt.download_response(files.stored_path(name), content_type=content_type)
    except (FileNotFoundError, OSError):
        raise NotFound() from None
    if not thumbnail:
        record_access(user=request.user, action="document.view" if inline else "document.download",
                      obj=document, division_code=document.division_code)
    attachment = not (inline and content_type in INLINE_TYPES)
    response["Content-Disposition"] = content_disposition(
        "attachment" if attachment else "inline", document.original_name)
    response["X-Content-Type-Options"] = "nosniff"
    # The file itself never runs anything; no sandbox directive, which would stop browsers' PDF viewers.
    response["Content-Security-Policy"] = "default-src 'none'; img-src 'self'; frame-ancestors 'none'"
    patch_cache_control(response, private=True, no_store=True)
    return response


def content_disposition(disposition: str, name: str) -> str:
    """RFC 6266: an ASCII `filename` for old clients, then the real name as UTF-8 `filename*`.

    The fallback keeps only letters, digits and ``._-()`` and a space (nothing to quote or escape);
    the real name is percent-encoded (RFC 8187), so neither can break out of the header.
    """
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    ascii_name = re.sub(r"[^A-Za-z0-9._() -]+", "_", ascii_name).strip(" ._")
    suffix = PurePosixPath(name).suffix
    if not ascii_name.strip("_") or ascii_name == suffix.lstrip("."):
        ascii_name = "document" + (suffix if re.fullmatch(r"\.[A-Za-z0-9]{1,10}", suffix) else "")
    return f"{disposition}; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(name, safe='')}"
