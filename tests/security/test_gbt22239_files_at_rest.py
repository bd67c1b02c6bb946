"""GB/T 22239 level 3 (confidentiality of stored personal data) and ASVS V6.1 / V12.3: documents,
thumbnails, exports, registry uploads and their error lists lie on disk encrypted, readable only by
the service account, are deleted when they expire, and are decrypted only as they are sent."""

import io
import os
import stat
from datetime import timedelta
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from PIL import Image

from dibao import filecrypt
from evidence import services as evidence_services
from evidence.models import Document
from evidence.selectors import target_for_user
from jobs.models import Job
from poverty_registry.services import import_error_files_delete_expired, import_start
from reports import services as report_services
from reports.models import Export
from tests.evidence.conftest import MINIMAL_PDF, make_case, make_household
from tests.poverty_registry.conftest import csv_bytes, ident, row
from tests.reports.factories import make_case as make_report_case

pytestmark = pytest.mark.django_db

MARKER = "居民身份证复印件".encode()


@pytest.fixture(autouse=True)
def var_dir(settings, tmp_path):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.VAR_DIR = tmp_path / "var"
    settings.VAR_DIR.mkdir(exist_ok=True)
    return settings.VAR_DIR


def private(path: Path) -> bool:
    return stat.S_IMODE(path.stat().st_mode) == 0o600


def png_bytes() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (64, 48), (200, 30, 30)).save(out, "PNG")
    return out.getvalue()


def test_documents_and_thumbnails_are_encrypted_private_and_served_decrypted(village, village_staff, web,
                                                                             var_dir):
    case = make_case(make_household(village, user=village_staff), entered_by=village_staff)
    pdf = MINIMAL_PDF + b"%" + MARKER + b"\n"
    target = target_for_user(village_staff, "case", case.pk)
    document = evidence_services.document_upload(actor=village_staff, target=target, document_type="id_copy",
                                                  uploaded_file=SimpleUploadedFile("身份证.pdf", pdf))
    image = evidence_services.document_upload(actor=village_staff, target=target, document_type="photo",
                                               uploaded_file=SimpleUploadedFile("photo.png", png_bytes()))
    stored = var_dir / "documents" / document.stored_name
    thumb = var_dir / "documents" / image.thumbnail_name
    for path in (stored, thumb, var_dir / "documents" / image.stored_name):
        raw = path.read_bytes()
        assert raw.startswith(b"DBF1") and private(path)
    assert MARKER not in stored.read_bytes() and b"%PDF" not in stored.read_bytes()
    assert b"\x89PNG" not in (var_dir / "documents" / image.stored_name).read_bytes()
    response = web(village_staff).get(f"/evidence/file/{document.uuid}/")
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == pdf
    assert int(response["Content-Length"]) == len(pdf)
    thumbnail = web(village_staff).get(f"/evidence/file/{image.uuid}/thumbnail/")
    assert b"".join(thumbnail.streaming_content)[:3] == b"\xff\xd8\xff"  # a JPEG again, once decrypted
    assert Document.objects.count() == 2


def test_export_files_are_encrypted_private_and_downloaded_decrypted(village, county_officer, web, api, settings,
                                                                     var_dir):
    settings.EXPORT_STREAM_MAX_ROWS = 0  # every export becomes a file
    make_report_case(village, county_officer, head="王秀英")
    export = report_services.export_request(actor=county_officer, report="case_register", fmt="csv", filters={})
    report_services.export_run(export_id=export.pk)
    export.refresh_from_db()
    path = var_dir / export.file
    assert path.read_bytes().startswith(b"DBF1") and private(path)
    assert "王秀英".encode() not in path.read_bytes()
    response = web(county_officer).get(f"/reports/exports/{export.pk}/download/")
    assert response.status_code == 200 and "no-store" in response["Cache-Control"]
    assert "王秀英" in b"".join(response.streaming_content).decode("utf-8-sig")
    response = api(county_officer).get(f"/api/v1/exports/{export.pk}/download/")
    assert "王秀英" in b"".join(response.streaming_content).decode("utf-8-sig")
    # expiry deletes the file, as before
    Export.objects.filter(pk=export.pk).update(expires_at=timezone.now() - timedelta(minutes=1))
    assert report_services.exports_delete_expired() == 1 and not path.exists()


def test_registry_upload_and_error_list_are_encrypted_and_the_error_list_expires(county_officer, village, web,
                                                                                 var_dir,
                                                                                 django_capture_on_commit_callbacks):
    bad = row(3, code="H3", status="poor")
    data = csv_bytes([row(1), bad])
    with django_capture_on_commit_callbacks(execute=False) as queued:
        job = import_start(actor=county_officer, uploaded=SimpleUploadedFile("registry.csv", data))
    upload = var_dir / job.params["path"]
    assert upload.read_bytes().startswith(b"DBF1") and private(upload)
    assert ident(1).encode() not in upload.read_bytes()
    for callback in queued:
        callback()
    job = Job.objects.get(pk=job.pk)
    assert job.status == "succeeded" and job.counts["rows_failed"] == 1, job.message
    assert not upload.exists()
    errors = var_dir / job.result_file
    assert errors.read_bytes().startswith(b"DBF1") and private(errors)
    assert b"poor" not in errors.read_bytes()
    response = web(county_officer).get(f"/jobs/{job.pk}/download/")
    assert response.status_code == 200
    assert "poor" in b"".join(response.streaming_content).decode("utf-8-sig")
    # Kept IMPORT_ERROR_FILE_EXPIRY_HOURS after the job ended, then deleted; the download answers 404.
    assert import_error_files_delete_expired(now=timezone.now() + timedelta(hours=71)) == 0
    assert import_error_files_delete_expired(now=timezone.now() + timedelta(hours=73)) == 1
    assert not errors.exists() and Job.objects.get(pk=job.pk).result_file == ""
    assert web(county_officer).get(f"/jobs/{job.pk}/download/").status_code == 404


def test_a_file_moved_or_cut_short_does_not_decrypt(var_dir):
    from dibao.crypto import DecryptionFailed

    data = os.urandom(200_000)
    first, second = var_dir / "exports" / "a.csv", var_dir / "exports" / "b.csv"
    filecrypt.write_bytes(first, data)
    os.replace(first, second)  # bound to its name: a file renamed onto another's does not open
    with pytest.raises(DecryptionFailed):
        filecrypt.read_bytes(second)
    filecrypt.write_bytes(first, data)
    first.write_bytes(first.read_bytes()[:-filecrypt.SEALED_CHUNK])  # the last chunk dropped
    with pytest.raises(DecryptionFailed):
        filecrypt.read_bytes(first)


def test_files_written_before_encryption_are_served_and_then_encrypted_by_rotation(var_dir):
    legacy = var_dir / "exports" / "old.csv"
    legacy.parent.mkdir(parents=True)
    legacy.write_bytes(b"name\n" + MARKER)
    assert filecrypt.read_bytes(legacy) == b"name\n" + MARKER
    assert filecrypt.reencrypt(legacy) is True
    assert MARKER not in legacy.read_bytes() and private(legacy)
    assert filecrypt.read_bytes(legacy) == b"name\n" + MARKER
    assert filecrypt.reencrypt(legacy) is False  # current already
