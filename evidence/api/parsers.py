"""Multipart uploads that keep a file whose name is nothing but a path.

Django's parser removes the path from an uploaded file's name and drops the file altogether when
nothing is left (``..``, ``../``, ``C:\\x\\``): the client is then told that no file was sent,
although it sent one. Here such a file is kept, and evidence.files.safe_display_name names it
(``document.pdf``). An empty name (a form sent without choosing a file) still means no file.
"""

from django.conf import settings
from django.http.multipartparser import MultiPartParser as DjangoMultiPartParser
from django.http.multipartparser import MultiPartParserError
from rest_framework import parsers
from rest_framework.exceptions import ParseError

from evidence.files import FALLBACK_STEM


class KeepFileMultiPartParser(DjangoMultiPartParser):
    def sanitize_file_name(self, file_name):
        return super().sanitize_file_name(file_name) or FALLBACK_STEM


class MultiPartParser(parsers.MultiPartParser):
    """DRF's multipart parser (same code) on KeepFileMultiPartParser."""

    def parse(self, stream, media_type=None, parser_context=None):
        parser_context = parser_context or {}
        request = parser_context["request"]
        meta = request.META.copy()
        meta["CONTENT_TYPE"] = media_type
        encoding = parser_context.get("encoding", settings.DEFAULT_CHARSET)
        try:
            data, files = KeepFileMultiPartParser(meta, stream, request.upload_handlers, encoding).parse()
        except MultiPartParserError as exc:
            raise ParseError(f"Multipart form parse error - {exc}") from exc
        return parsers.DataAndFiles(data, files)
