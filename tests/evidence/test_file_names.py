"""Uploaded file names with paths and control characters, through the page and the API.

Browsers send a file's base name, but old ones (IE, and 360 in compatibility mode, still common on
government intranets) send the whole path, and scripted clients send anything. The rule: keep the
base name, store it without any path separator or control character, show it, and serve it in a
Content-Disposition header (RFC 6266) that nothing in the name can break out of.
"""

import re

import pytest
from django.urls import reverse

from evidence.models import Document
from evidence.serving import content_disposition
from tests.evidence.conftest import MINIMAL_PDF, png_bytes

pytestmark = pytest.mark.django_db

# (name sent, name kept)
NAMES = [
    ("../../etc/passwd.pdf", "passwd.pdf"),
    ("C:\\x\\y.pdf", "y.pdf"),
    ("C:\\Users\\王芳\\Desktop\\授权书.pdf", "授权书.pdf"),
    ("C:y.pdf", "y.pdf"),  # a drive-relative path
    ("..\\..\\申请书.PDF", "申请书.PDF"),
    ("a&#47;b.pdf", "b.pdf"),  # an HTML-escaped slash (Django unescapes names)
    ("报告\u202efdp.exe", "报告fdp.exe.pdf"),  # a right-to-left override hiding ".exe"
    ("名\u200b字.pdf", "名字.pdf"),  # zero-width space
    ("  .pdf", "document.pdf"),
    ("a;b=c d.pdf", "a;b=c d.pdf"),
    ("scan", "scan.pdf"),  # no extension: the content decides it
]
CRAFTED = [("..", "document.pdf"), ("../", "document.pdf"), ("C:\\x\\", "document.pdf")]


def multipart(fields: dict, filename: str, content: bytes, content_type="application/pdf"):
    """A multipart body with the file name exactly as given (the test client would take its basename)."""
    boundary = "----dibao-test-boundary"
    body = b""
    for key, value in fields.items():
        body += f'--{boundary}\r\nContent-Disposition: form-data; name="{key}"\r\n\r\n{value}\r\n'.encode()
    body += (f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="{filename}"\r\n'
             f"Content-Type: {content_type}\r\n\r\n").encode() + content + f"\r\n--{boundary}--\r\n".encode()
    return body, f"multipart/form-data; boundary={boundary}"


def assert_safe(name: str):
    assert "/" not in name and "\\" not in name and ":" not in name[:2]
    assert not any(ord(ch) < 32 or ord(ch) == 127 or ch in "\u200b\u202e" for ch in name)
    assert name and not name.startswith(".") and len(name) <= 100


def assert_safe_header(response, kept: str, disposition="attachment"):
    header = response["Content-Disposition"]
    assert "\r" not in header and "\n" not in header
    match = re.fullmatch(disposition + r'; filename="([A-Za-z0-9._() -]+)"; filename\*=UTF-8\'\'([A-Za-z0-9%._~-]+)',
                         header)
    assert match, header
    from urllib.parse import unquote

    assert unquote(match.group(2)) == kept


@pytest.mark.parametrize("sent,kept", NAMES)
def test_page_keeps_the_base_name_stores_it_safely_and_shows_it(web, village_staff, case, sent, kept):
    client = web(village_staff)
    body, content_type = multipart({"document_type": "authorisation", "note": ""}, sent, MINIMAL_PDF)
    response = client.generic("POST", reverse("evidence:upload", args=["case", case.pk]), body,
                              content_type=content_type)
    assert response.status_code == 302
    response = client.get(response["Location"])
    document = Document.objects.get()
    assert document.original_name == kept
    assert_safe(document.original_name)
    page = response.content.decode()
    from django.utils.html import escape

    assert f"“{escape(kept)}”" in page  # the success message names the file as kept
    panel = client.get(reverse("evidence:documents_panel", args=["case", case.pk])).content.decode()
    assert escape(kept) in panel
    assert_safe_header(client.get(reverse("evidence:document_file", args=[document.uuid])), kept)


@pytest.mark.parametrize("sent,kept", NAMES + CRAFTED)
def test_api_keeps_the_base_name_stores_it_safely_and_returns_it(api, village_staff, case, sent, kept):
    client = api(village_staff)
    body, content_type = multipart({"target_type": "case", "case": case.pk, "document_type": "authorisation"},
                                   sent, MINIMAL_PDF)
    response = client.generic("POST", "/api/v1/documents/", body, content_type=content_type)
    assert response.status_code == 201, response.content
    assert response.json()["original_name"] == kept
    document = Document.objects.get()
    assert document.original_name == kept
    assert_safe(document.original_name)
    assert_safe_header(client.get(f"/api/v1/documents/{document.uuid}/download/"), kept)


def test_api_still_says_no_file_when_none_was_chosen(api, village_staff, case):
    body, content_type = multipart({"target_type": "case", "case": case.pk, "document_type": "authorisation"},
                                   "", b"")
    response = api(village_staff).generic("POST", "/api/v1/documents/", body, content_type=content_type)
    assert response.status_code == 400 and "file" in response.json()
    assert not Document.objects.exists()


def test_image_names_get_the_extension_of_their_content(api, village_staff, case):
    body, content_type = multipart({"target_type": "case", "case": case.pk, "document_type": "photo"},
                                   "C:\\相机\\IMG_0001", png_bytes(), "image/png")
    response = api(village_staff).generic("POST", "/api/v1/documents/", body, content_type=content_type)
    assert response.json()["original_name"] == "IMG_0001.png"


def test_inline_view_and_header_injection(web, village_staff, case):
    body, content_type = multipart({"document_type": "authorisation", "note": ""}, "x.pdf", MINIMAL_PDF)
    web(village_staff).generic("POST", reverse("evidence:upload", args=["case", case.pk]), body,
                               content_type=content_type)
    document = Document.objects.get()
    # A name written some other way (an import, the admin) with CR/LF and quotes cannot add a header.
    Document.objects.filter(pk=document.pk).update(original_name='a"\r\nSet-Cookie: x=1.pdf')
    response = web(village_staff).get(reverse("evidence:document_file", args=[document.uuid]) + "?inline=1")
    assert response["Content-Disposition"].startswith("inline; ")
    assert "Set-Cookie" not in response.headers and "\n" not in response["Content-Disposition"]
    assert response["Content-Disposition"].endswith("filename*=UTF-8''a%22%0D%0ASet-Cookie%3A%20x%3D1.pdf")


@pytest.mark.parametrize("name,expected", [
    ("授权书.pdf", 'attachment; filename="document.pdf"; filename*=UTF-8\'\'%E6%8E%88%E6%9D%83%E4%B9%A6.pdf'),
    ("Résumé 2024.pdf", 'attachment; filename="Resume 2024.pdf"; filename*=UTF-8\'\'R%C3%A9sum%C3%A9%202024.pdf'),
    ("scan.pdf", 'attachment; filename="scan.pdf"; filename*=UTF-8\'\'scan.pdf'),
])
def test_content_disposition_has_an_ascii_fallback_and_the_utf8_name(name, expected):
    assert content_disposition("attachment", name) == expected
