"""Checking and storing uploaded files: content sniffing, limits, private storage, thumbnails.

Stored files and thumbnails are encrypted at rest with the keyring (dibao.filecrypt): what lies under
VAR_DIR/documents is ciphertext, readable only by the service account (0600).

The type is decided by the bytes, never by the name or the browser's Content-Type: a renamed
executable is refused. Images are opened with Pillow only after their header says the pixel
count is within the limit, so a small file that decodes to gigabytes (an image bomb) is refused
before it is decoded.
"""

import hashlib
import io
import re
import unicodedata
import uuid
import warnings
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.utils.translation import gettext as _
from PIL import Image, UnidentifiedImageError

from dibao import filecrypt
from dibao.errors import DomainError

THUMBNAIL_SIZE = (320, 320)

PDF, JPEG, PNG = "application/pdf", "image/jpeg", "image/png"
EXTENSIONS = {PDF: "pdf", JPEG: "jpg", PNG: "png"}


def max_bytes() -> int:
    return settings.DOCUMENT_MAX_BYTES


def max_image_pixels() -> int:
    return settings.DOCUMENT_MAX_IMAGE_PIXELS


def documents_dir() -> Path:
    """Outside the web root: not under static/, STATIC_ROOT or MEDIA_ROOT, served only by a view."""
    path = Path(settings.VAR_DIR) / "documents"
    path.mkdir(parents=True, exist_ok=True)
    return path


def stored_path(name: str) -> Path:
    base = documents_dir().resolve()
    path = (base / name).resolve()
    if path.parent != base:
        raise FileNotFoundError(name)
    return path


def file_error(message) -> DomainError:
    return DomainError(message, code="invalid_file", fields={"file": [message]})


# Extensions a stored name may end with, per content type (the first is added when none fits).
NAME_EXTENSIONS = {PDF: ("pdf",), JPEG: ("jpg", "jpeg", "jpe"), PNG: ("png",)}
FALLBACK_STEM = "document"
_WHITESPACE_CONTROLS = "\t\n\r\v\f"


def safe_display_name(name: str, content_type: str | None = None) -> str:
    """The name to keep and show: the base name of what the client sent, never a path.

    A path (``../../etc/passwd.pdf``, ``C:\\x\\y.pdf``, old browsers' full paths) keeps its last
    part, a Windows drive prefix (``C:y.pdf``) goes, control and format characters (newlines,
    right-to-left overrides, zero-width spaces) go (tabs and newlines become spaces), leading and
    trailing dots and spaces go. With the sniffed `content_type`, a name whose extension does not
    fit gets the right one (``scan`` -> ``scan.png``) and an empty one becomes ``document.pdf``.
    At most 100 characters, the extension kept.
    """
    name = (name or "").replace("\\", "/").split("/")[-1]
    name = re.sub(r"^[A-Za-z]:", "", name)
    name = unicodedata.normalize("NFC", name)
    name = "".join(" " if ch in _WHITESPACE_CONTROLS else ch for ch in name
                   if ch in _WHITESPACE_CONTROLS or unicodedata.category(ch)[0] != "C")
    name = re.sub(r"\s+", " ", name).strip(" .")
    extensions = NAME_EXTENSIONS.get(content_type, ())
    if extensions:
        if name.lower() in extensions:  # ".pdf": an extension and nothing else
            name = ""
        stem, dot, ext = name.rpartition(".")
        if not (dot and ext.lower() in extensions):
            name = f"{name or FALLBACK_STEM}.{extensions[0]}"
    if len(name) > 100:
        stem, dot, ext = name.rpartition(".")
        name = (stem[: 100 - len(ext) - 1].rstrip(" .") + "." + ext) if dot and len(ext) <= 10 else name[:100]
    return name or FALLBACK_STEM


def sniff(head: bytes) -> str | None:
    if head.startswith(b"%PDF-"):
        return PDF
    if head.startswith(b"\xff\xd8\xff"):
        return JPEG
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return PNG
    return None


@dataclass
class CheckedFile:
    content: bytes
    content_type: str
    sha256: str
    original_name: str
    width: int | None = None
    height: int | None = None


def read_limited(uploaded) -> bytes:
    """Read at most the limit + 1 byte, so an oversized upload never fills memory."""
    limit = max_bytes()
    declared = getattr(uploaded, "size", None)
    if declared is not None and declared > limit:
        raise _too_big(limit)
    buffer = io.BytesIO()
    for chunk in uploaded.chunks() if hasattr(uploaded, "chunks") else [uploaded.read()]:
        buffer.write(chunk)
        if buffer.tell() > limit:
            raise _too_big(limit)
    return buffer.getvalue()


def _too_big(limit: int) -> DomainError:
    return file_error(_("The file is larger than the limit of %(mb)s MB.") % {"mb": round(limit / 1024 / 1024, 1)})


def check_upload(uploaded) -> CheckedFile:
    """Refuse anything that is not a sound PDF, JPEG or PNG within the limits; say why."""
    if uploaded is None:
        raise file_error(_("Choose a file to upload."))
    content = read_limited(uploaded)
    if not content:
        raise file_error(_("The file is empty."))
    content_type = sniff(content[:16])
    if content_type is None:
        raise file_error(_("Only PDF, JPEG and PNG files are accepted; the content of this file is none of them "
                           "(the file name does not matter)."))
    width = height = None
    if content_type != PDF:
        width, height = _check_image(content, content_type)
    return CheckedFile(content=content, content_type=content_type, sha256=hashlib.sha256(content).hexdigest(),
                       original_name=safe_display_name(getattr(uploaded, "name", ""), content_type), width=width,
                       height=height)


def _check_image(content: bytes, content_type: str) -> tuple[int, int]:
    limit = max_image_pixels()
    bomb = file_error(_("The image is too large in pixels (limit %(limit)s million pixels); "
                        "scan or photograph it at a lower resolution.") % {"limit": round(limit / 1e6, 1)})
    damaged = file_error(_("The image is damaged or not really a JPEG/PNG file."))
    expected = {JPEG: "JPEG", PNG: "PNG"}[content_type]
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(content)) as image:
                if image.format != expected:
                    raise damaged
                width, height = image.size
                if width * height > limit:
                    raise bomb
                image.verify()
    except DomainError:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise bomb
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, EOFError):
        raise damaged
    return width, height


def make_thumbnail(content: bytes) -> bytes | None:
    try:
        with Image.open(io.BytesIO(content)) as image:
            image.draft("RGB", THUMBNAIL_SIZE)  # JPEG: decode at reduced scale
            image = image.convert("RGB")
            image.thumbnail(THUMBNAIL_SIZE)
            out = io.BytesIO()
            image.save(out, "JPEG", quality=80)
            return out.getvalue()
    except (OSError, ValueError):
        return None


def write_files(checked: CheckedFile) -> tuple[str, str]:
    """Write the file (and an image's thumbnail) under random names; return (stored, thumbnail)."""
    base = uuid.uuid4().hex
    stored_name = f"{base}.{EXTENSIONS[checked.content_type]}"
    _write_new(stored_path(stored_name), checked.content)
    thumbnail_name = ""
    if checked.content_type != PDF:
        thumb = make_thumbnail(checked.content)
        if thumb:
            thumbnail_name = f"{base}.thumb.jpg"
            _write_new(stored_path(thumbnail_name), thumb)
    return stored_name, thumbnail_name


def _write_new(path: Path, data: bytes) -> None:
    # Encrypted with the keyring, mode 0600, written atomically (dibao.filecrypt).
    filecrypt.write_bytes(path, data)


def remove_files(*names: str) -> None:
    for name in names:
        if name:
            try:
                stored_path(name).unlink(missing_ok=True)
            except FileNotFoundError:
                pass
