"""Files at rest (documents, thumbnails, exports, registry uploads and their error lists), encrypted
with the keyring of dibao.crypto, created with mode 0600, read back as a stream.

Layout: b"DBF1" | the field header (suite, key version) | 7-byte random nonce prefix | chunks. Each
chunk is 64 KiB of plaintext sealed with the suite's GCM under the nonce prefix + chunk number + a
last-chunk flag (the STREAM construction of Hoang, Reyhanitabar, Rogaway and Vizár), with the header
and the file's path under VAR_DIR as associated data: chunks cannot be reordered, dropped, cut off
at the end or moved to another file. A file without the magic is a pre-encryption plaintext file:
read as it is, and encrypted by `manage.py rotate_keys`.
"""

import io
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from cryptography.exceptions import InvalidTag
from django.conf import settings
from django.http import StreamingHttpResponse
from django.utils.http import content_disposition_header

from dibao.crypto import HEADER_BYTES, TAG_BYTES, DecryptionFailed, alert, keyring, read_header

MAGIC = b"DBF1"
PREFIX_BYTES = 7
START = len(MAGIC) + HEADER_BYTES + PREFIX_BYTES
CHUNK = 64 * 1024
SEALED_CHUNK = CHUNK + TAG_BYTES
FILE_MODE = 0o600


def context_of(path: Path) -> str:
    """The file's name under VAR_DIR: what its chunks are bound to."""
    return Path(os.path.abspath(path)).relative_to(Path(os.path.abspath(settings.VAR_DIR))).as_posix()


def _nonce(prefix: bytes, index: int, last: bool) -> bytes:
    return prefix + index.to_bytes(4, "big") + (b"\x01" if last else b"\x00")


def _open_new(path: Path):
    """A new file only the service account can read (0600 whatever the umask)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE)
    os.fchmod(fd, FILE_MODE)
    return os.fdopen(fd, "wb")


class EncryptingWriter(io.RawIOBase):
    """A write-only, unseekable stream that seals what it is given into `target` chunk by chunk."""

    def __init__(self, target, context: str):
        super().__init__()
        ring = keyring()
        self._target = target
        self._header = MAGIC + ring.current.pack()
        self._prefix = os.urandom(PREFIX_BYTES)
        self._aead = ring.aead(ring.current)
        self._associated = self._header + context.encode()
        self._buffer = bytearray()
        self._index = 0
        target.write(self._header + self._prefix)

    def writable(self) -> bool:
        return True

    def write(self, data) -> int:
        self._buffer += data
        # A full chunk goes out only when more follows: the last chunk (possibly empty) is sealed as last.
        while len(self._buffer) > CHUNK:
            self._seal(bytes(self._buffer[:CHUNK]), last=False)
            del self._buffer[:CHUNK]
        return len(data)

    def _seal(self, plaintext: bytes, *, last: bool) -> None:
        self._target.write(self._aead.encrypt(_nonce(self._prefix, self._index, last), plaintext, self._associated))
        self._index += 1

    def close(self) -> None:
        if not self.closed:
            self._seal(bytes(self._buffer), last=True)
            self._buffer.clear()
        super().close()


@contextmanager
def writer(path: Path, *, text_encoding: str | None = None, newline: str | None = None):
    """Write an encrypted file atomically (a .part file, then renamed); yields a binary stream, or a
    text stream when `text_encoding` is given. Nothing is left behind when the body raises."""
    path = Path(path)
    partial = path.with_name(path.name + ".part")
    partial.unlink(missing_ok=True)
    handle = _open_new(partial)
    try:
        raw = EncryptingWriter(handle, context_of(path))
        stream = io.BufferedWriter(raw, buffer_size=CHUNK)
        if text_encoding:
            stream = io.TextIOWrapper(stream, encoding=text_encoding, newline=newline)
        yield stream
        stream.close()
        handle.flush()
        os.fsync(handle.fileno())
        handle.close()
        os.replace(partial, path)
    except BaseException:
        handle.close()
        partial.unlink(missing_ok=True)
        raise


def write_bytes(path: Path, data: bytes) -> None:
    with writer(path) as out:
        out.write(data)


def is_encrypted(path: Path) -> bool:
    with open(path, "rb") as fh:
        return fh.read(len(MAGIC)) == MAGIC


def is_current(path: Path) -> bool:
    with open(path, "rb") as fh:
        head = fh.read(len(MAGIC) + HEADER_BYTES)
    return head[:len(MAGIC)] == MAGIC and read_header(head[len(MAGIC):]) == keyring().current


def _decrypted_chunks(fh, path: Path) -> Iterator[bytes]:
    head = fh.read(START)
    context = context_of(path)
    header = read_header(head[len(MAGIC):len(MAGIC) + HEADER_BYTES])
    if len(head) < START or header is None:
        alert("file", context, None)
        raise DecryptionFailed()
    aead = keyring().aead(header)
    associated = head[:len(MAGIC) + HEADER_BYTES] + context.encode()
    prefix = head[len(MAGIC) + HEADER_BYTES:START]
    index = 0
    sealed = fh.read(SEALED_CHUNK)
    while True:
        following = fh.read(SEALED_CHUNK) if len(sealed) == SEALED_CHUNK else b""
        last = not following
        try:
            yield aead.decrypt(_nonce(prefix, index, last), sealed, associated)
        except (InvalidTag, ValueError) as exc:
            alert("file", context, header)
            raise DecryptionFailed() from exc
        if last:
            return
        sealed, index = following, index + 1


def chunks(path: Path) -> Iterator[bytes]:
    """The plaintext in pieces. The first piece is opened before this returns, so a wrong key raises
    DecryptionFailed here (an error page), not in the middle of a download."""
    path = Path(path)
    fh = open(path, "rb")
    try:
        encrypted = fh.read(len(MAGIC)) == MAGIC
        fh.seek(0)
        source = _decrypted_chunks(fh, path) if encrypted else iter(lambda: fh.read(CHUNK), b"")
        first = next(source, b"")
    except BaseException:
        fh.close()
        raise

    def rest():
        try:
            yield first
            yield from source
        finally:
            fh.close()
    return rest()


def read_bytes(path: Path) -> bytes:
    return b"".join(chunks(path))


class _ChunkReader(io.RawIOBase):
    def __init__(self, pieces: Iterator[bytes]):
        super().__init__()
        self._pieces = pieces
        self._pending = b""

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        while not self._pending:
            piece = next(self._pieces, None)
            if piece is None:
                return 0
            self._pending = piece
        n = min(len(buffer), len(self._pending))
        buffer[:n] = self._pending[:n]
        self._pending = self._pending[n:]
        return n

    def close(self) -> None:
        close = getattr(self._pieces, "close", None)
        if close:
            close()
        super().close()


def open_reader(path: Path) -> io.BufferedReader:
    """A binary file object over the plaintext (iterating it gives lines, as a plain file does)."""
    return io.BufferedReader(_ChunkReader(chunks(path)), buffer_size=CHUNK)


def plaintext_size(path: Path) -> int:
    size = Path(path).stat().st_size
    if not is_encrypted(path):
        return size
    body = size - START
    sealed_chunks = max(1, -(-body // SEALED_CHUNK))
    return max(0, body - sealed_chunks * TAG_BYTES)


def reencrypt(path: Path) -> bool:
    """Rewrite the file with the current suite and key (or encrypt a plaintext one); False if it was
    current already. Atomic: readers see the old file or the new one."""
    path = Path(path)
    if is_current(path):
        return False
    with writer(path) as out:
        for piece in chunks(path):
            out.write(piece)
    return True


def download_response(path: Path, *, content_type: str = "application/octet-stream", filename: str | None = None,
                      as_attachment: bool = True) -> StreamingHttpResponse:
    """A response that decrypts as it sends. Raises FileNotFoundError (missing) or DecryptionFailed."""
    pieces = chunks(path)
    response = StreamingHttpResponse(pieces, content_type=content_type)
    response["Content-Length"] = str(plaintext_size(path))
    if filename is not None:
        response["Content-Disposition"] = content_disposition_header(as_attachment, filename)
    return response
