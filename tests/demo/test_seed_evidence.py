import io

import pytest
from PIL import Image

from demo.seed import evidence as demo
from evidence import files
from evidence.models import Complaint, Document, RequiredDocument

pytestmark = pytest.mark.django_db


def test_generated_files_are_valid():
    pdf = demo.minimal_pdf("hello")
    assert files.sniff(pdf[:16]) == files.PDF and pdf.rstrip().endswith(b"%%EOF") and len(pdf) < 1000
    xref_at = int(pdf.rsplit(b"startxref\n", 1)[1].split(b"\n", 1)[0])
    assert pdf[xref_at:].startswith(b"xref")
    with Image.open(io.BytesIO(demo.demo_png("x"))) as image:
        assert image.format == "PNG"


def test_seed_is_idempotent(county, case, household, village_staff, county_officer, county_officer2,
                            township_staff):
    out = io.StringIO()
    demo.seed(out)
    counts = (Document.objects.count(), Complaint.objects.count(), RequiredDocument.objects.count())
    assert counts[0] >= 2 and counts[1] >= 4 and counts[2] == 2
    assert set(Complaint.objects.values_list("status", flat=True)) == {"received", "investigating", "resolved"}
    demo.seed(out)
    assert (Document.objects.count(), Complaint.objects.count(), RequiredDocument.objects.count()) == counts
