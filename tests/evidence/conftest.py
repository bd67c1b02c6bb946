"""Households and cases made with the ORM (the households/cases services land on other branches),
files generated in memory, and a private VAR_DIR per test so nothing lands in the worktree."""

import io
import itertools
import struct
import zlib
from datetime import date

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from cases.models import Case
from households.idnumber import make_id_number
from households.models import Household, Member
from households.persons import person_get_or_create

_sequence = itertools.count(1)

MINIMAL_PDF = (
    b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
    b"2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj\n"
    b"3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 200 200]>>endobj\n"
    b"trailer<</Root 1 0 R>>\n%%EOF\n"
)


@pytest.fixture(autouse=True)
def english_messages():
    """Service messages are asserted in English; pages still follow the request's language."""
    from django.utils import translation

    with translation.override("en"):
        yield


@pytest.fixture(autouse=True)
def private_var_dir(settings, tmp_path):
    # The shared user fixtures hash a password per user; a fast hasher keeps this folder quick.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.VAR_DIR = tmp_path / "var"
    settings.VAR_DIR.mkdir()
    return settings.VAR_DIR


def make_household(village, *, head="张三", user=None) -> Household:
    household = Household.objects.create(village=village, division_code=village.code, address=f"{village.name}1号",
                                         head_name=head, size=1, created_by=user)
    n = next(_sequence)
    person = person_get_or_create(id_number=make_id_number("370283", date(1960, 1, 1), n * 2 + 1), name=head)
    Member.objects.create(household=household, person=person, name=head, relationship="head",
                          sex=person.sex, birth_date=person.birth_date)
    return household


def make_case(household, *, entered_by, status="draft") -> Case:
    return Case.objects.create(household=household, division_code=household.division_code, status=status,
                               entered_by=entered_by)


@pytest.fixture
def household(village, village_staff):
    return make_household(village, user=village_staff)


@pytest.fixture
def other_household(other_village, other_village_staff):
    return make_household(other_village, head="李四", user=other_village_staff)


@pytest.fixture
def case(household, village_staff):
    return make_case(household, entered_by=village_staff)


@pytest.fixture
def other_case(other_household, other_village_staff):
    return make_case(other_household, entered_by=other_village_staff)


def png_bytes(size=(40, 30), color=(200, 30, 30)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, color).save(out, "PNG")
    return out.getvalue()


def jpeg_bytes(size=(40, 30)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, (10, 120, 200)).save(out, "JPEG")
    return out.getvalue()


def png_bomb_bytes(width=100_000, height=100_000) -> bytes:
    """A valid tiny PNG whose header claims huge dimensions (decoding it would take ~30 GB)."""
    data = png_bytes((1, 1))
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    chunk = b"IHDR" + ihdr
    patched = struct.pack(">I", 13) + chunk + struct.pack(">I", zlib.crc32(chunk) & 0xFFFFFFFF)
    return data[:8] + patched + data[8 + 25:]


def upload(name: str, content: bytes, content_type="application/octet-stream") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type=content_type)


@pytest.fixture
def files():
    class Files:
        pdf = staticmethod(lambda name="scan.pdf": upload(name, MINIMAL_PDF, "application/pdf"))
        png = staticmethod(lambda name="photo.png", size=(40, 30): upload(name, png_bytes(size), "image/png"))
        jpeg = staticmethod(lambda name="photo.jpg": upload(name, jpeg_bytes(), "image/jpeg"))
        exe = staticmethod(lambda name="authorisation.pdf": upload(
            name, b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff" + b"\x00" * 200, "application/pdf"))
        bomb = staticmethod(lambda name="big.png": upload(name, png_bomb_bytes(), "image/png"))
        empty = staticmethod(lambda name="empty.pdf": upload(name, b"", "application/pdf"))

    return Files
