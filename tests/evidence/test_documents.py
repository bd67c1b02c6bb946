import hashlib
import os
from pathlib import Path

import pytest
from django.conf import settings
from django.urls import reverse

from audit.models import AccessLog, AuditEvent
from dibao.errors import Conflict, DomainError, NotPermitted
from evidence import files as evidence_files
from evidence import services
from evidence.models import Document
from evidence.selectors import target_for_user
from tests.evidence.conftest import MINIMAL_PDF, make_case, png_bytes

pytestmark = pytest.mark.django_db


def stored_files() -> list[str]:
    directory = Path(settings.VAR_DIR) / "documents"
    return sorted(p.name for p in directory.iterdir()) if directory.exists() else []


def upload_to_case(user, case, uploaded, document_type="authorisation"):
    target = target_for_user(user, "case", case.pk)
    return services.document_upload(actor=user, target=target, document_type=document_type, uploaded_file=uploaded)


class TestSniffingAndLimits:
    def test_real_pdf_png_jpeg_are_accepted_by_content(self, village_staff, case, files):
        pdf = upload_to_case(village_staff, case, files.pdf("签字授权书.pdf"))
        png = upload_to_case(village_staff, case, files.png("scan"), "photo")  # no extension: content decides
        jpeg = upload_to_case(village_staff, case, files.jpeg("id.jpeg.txt"), "id_copy")
        assert (pdf.content_type, png.content_type, jpeg.content_type) == ("application/pdf", "image/png",
                                                                            "image/jpeg")
        assert pdf.sha256 == hashlib.sha256(MINIMAL_PDF).hexdigest()
        assert pdf.size == len(MINIMAL_PDF)
        assert pdf.division_code == case.division_code and pdf.household_id == case.household_id
        assert pdf.original_name == "签字授权书.pdf"
        assert (png.width, png.height) == (40, 30)
        # Random stored names, not the uploaded ones; thumbnails for images only.
        assert pdf.stored_name.endswith(".pdf") and "签字" not in pdf.stored_name
        assert png.thumbnail_name and jpeg.thumbnail_name and not pdf.thumbnail_name
        assert set(stored_files()) == {pdf.stored_name, png.stored_name, png.thumbnail_name, jpeg.stored_name,
                                       jpeg.thumbnail_name}

    def test_renamed_executable_is_refused_and_nothing_stored(self, village_staff, case, files):
        with pytest.raises(DomainError) as exc:
            upload_to_case(village_staff, case, files.exe("authorisation.pdf"))
        assert "PDF, JPEG" in str(exc.value.fields["file"][0])
        assert Document.objects.count() == 0 and stored_files() == []

    def test_png_header_with_garbage_body_is_refused(self, village_staff, case, files):
        fake = files.png()
        fake.file.seek(0)
        content = b"\x89PNG\r\n\x1a\n" + b"not really an image" * 10
        from tests.evidence.conftest import upload

        with pytest.raises(DomainError) as exc:
            upload_to_case(village_staff, case, upload("x.png", content))
        assert exc.value.fields["file"]
        assert Document.objects.count() == 0 and stored_files() == []

    def test_oversized_file_is_refused(self, village_staff, case, settings):
        settings.DOCUMENT_MAX_BYTES = 1000
        from tests.evidence.conftest import upload

        with pytest.raises(DomainError) as exc:
            upload_to_case(village_staff, case, upload("big.pdf", MINIMAL_PDF + b"0" * 1000))
        assert "limit" in str(exc.value.fields["file"][0])
        assert Document.objects.count() == 0 and stored_files() == []

    def test_empty_file_is_refused(self, village_staff, case, files):
        with pytest.raises(DomainError) as exc:
            upload_to_case(village_staff, case, files.empty())
        assert "empty" in str(exc.value.fields["file"][0])
        assert Document.objects.count() == 0

    def test_path_in_file_name_is_stripped(self, village_staff, case, files):
        doc = upload_to_case(village_staff, case, files.pdf("../../etc/passwd/..\\C:\\x\\授权.pdf"))
        assert doc.original_name == "授权.pdf"
        doc2 = upload_to_case(village_staff, case, files.pdf("..\\..\\"))
        assert doc2.original_name == "document.pdf"  # nothing left of the name: named by its content
        # Files land only in the private documents directory.
        for name in stored_files():
            assert (Path(settings.VAR_DIR) / "documents" / name).is_file()

    def test_safe_display_name_drops_control_characters(self):
        assert evidence_files.safe_display_name("a\x00b\nc.pdf") == "ab c.pdf"  # a newline reads as a space
        assert evidence_files.safe_display_name(".hidden.pdf") == "hidden.pdf"
        assert len(evidence_files.safe_display_name("x" * 300 + ".pdf")) == 100

    def test_image_bomb_is_refused_before_decoding(self, village_staff, case, files):
        with pytest.raises(DomainError) as exc:
            upload_to_case(village_staff, case, files.bomb())
        assert "pixels" in str(exc.value.fields["file"][0])
        assert Document.objects.count() == 0 and stored_files() == []

    def test_pixel_limit_is_configurable(self, village_staff, case, files, settings):
        settings.DOCUMENT_MAX_IMAGE_PIXELS = 100
        with pytest.raises(DomainError):
            upload_to_case(village_staff, case, files.png(size=(20, 20)))
        assert Document.objects.count() == 0


class TestTargetsAndRoles:
    def test_household_and_visit_targets(self, village_staff, household, case, files):
        target = target_for_user(village_staff, "household", household.pk)
        doc = services.document_upload(actor=village_staff, target=target, document_type="household_register",
                                       uploaded_file=files.pdf())
        assert doc.case_id is None and doc.target_type == "household"
        visit = target_for_user(village_staff, "visit", case.pk, "2")
        vdoc = services.document_upload(actor=village_staff, target=visit, document_type="visit_record",
                                        uploaded_file=files.pdf())
        assert (vdoc.target_type, vdoc.case_id, vdoc.visit_number) == ("visit", case.pk, 2)

    def test_auditor_may_not_upload(self, auditor, case, files):
        target = target_for_user(auditor, "case", case.pk)
        with pytest.raises(NotPermitted):
            services.document_upload(actor=auditor, target=target, document_type="photo", uploaded_file=files.png())
        assert stored_files() == []

    def test_upload_writes_audit_events_on_document_and_case(self, village_staff, case, files):
        doc = upload_to_case(village_staff, case, files.pdf())
        assert AuditEvent.objects.filter(action="document.uploaded", object_id=str(doc.pk)).exists()
        assert AuditEvent.objects.filter(action="case.document_uploaded", object_type="cases.case",
                                         object_id=str(case.pk)).exists()


class TestSoftDelete:
    def test_soft_delete_keeps_row_and_file_and_is_audited(self, village_staff, case, files):
        doc = upload_to_case(village_staff, case, files.pdf())
        services.document_delete(actor=village_staff, document=doc, reason="扫描错误 wrong scan")
        doc.refresh_from_db()
        assert doc.deleted_at and doc.deleted_by == village_staff and doc.deleted_reason == "扫描错误 wrong scan"
        assert doc.stored_name in stored_files()
        event = AuditEvent.objects.get(action="document.deleted", object_id=str(doc.pk))
        assert event.actor == village_staff and event.after["deleted_reason"] == "扫描错误 wrong scan"
        assert not Document.objects.live().exists()

    def test_delete_needs_a_reason(self, village_staff, case, files):
        doc = upload_to_case(village_staff, case, files.pdf())
        with pytest.raises(DomainError) as exc:
            services.document_delete(actor=village_staff, document=doc, reason="  ")
        assert "reason" in exc.value.fields
        doc.refresh_from_db()
        assert doc.deleted_at is None

    @pytest.mark.parametrize("status", ["active", "gradual_exit", "rejected", "closed"])
    def test_documents_on_a_decided_case_cannot_be_removed(self, village_staff, case, files, status):
        doc = upload_to_case(village_staff, case, files.pdf())
        type(case).objects.filter(pk=case.pk).update(status=status)
        with pytest.raises(Conflict) as exc:
            services.document_delete(actor=village_staff, document=doc, reason="x")
        assert exc.value.code == "case_decided"
        doc.refresh_from_db()
        assert doc.deleted_at is None
        assert not AuditEvent.objects.filter(action="document.deleted").exists()


class TestServing:
    def test_auditor_may_view_with_safe_headers(self, web, auditor, village_staff, case, files):
        doc = upload_to_case(village_staff, case, files.png())
        response = web(auditor).get(reverse("evidence:document_file", args=[doc.uuid]))
        assert response.status_code == 200
        assert response["Content-Type"] == "image/png"
        assert response["X-Content-Type-Options"] == "nosniff"
        assert response["Content-Disposition"].startswith("attachment")
        assert "no-store" in response["Cache-Control"]
        assert response["Content-Security-Policy"].startswith("default-src 'none'")
        assert b"".join(response.streaming_content) == png_bytes()
        assert AccessLog.objects.filter(user=auditor, action="document.download", object_id=str(doc.pk)).exists()
        inline = web(auditor).get(reverse("evidence:document_file", args=[doc.uuid]) + "?inline=1")
        assert inline["Content-Disposition"].startswith("inline")
        thumb = web(auditor).get(reverse("evidence:document_thumbnail", args=[doc.uuid]))
        assert thumb.status_code == 200 and thumb["Content-Type"] == "image/jpeg"

    def test_other_village_gets_404(self, web, api, other_village_staff, other_county_officer, village_staff,
                                    case, files):
        doc = upload_to_case(village_staff, case, files.pdf())
        for user in (other_village_staff, other_county_officer):
            assert web(user).get(reverse("evidence:document_file", args=[doc.uuid])).status_code == 404
            assert web(user).get(reverse("evidence:document_thumbnail", args=[doc.uuid])).status_code == 404
            assert api(user).get(f"/api/v1/documents/{doc.uuid}/download/").status_code == 404
            assert api(user).get(f"/api/v1/documents/{doc.uuid}/").status_code == 404

    def test_deleted_document_is_no_longer_served(self, web, village_staff, case, files):
        doc = upload_to_case(village_staff, case, files.pdf())
        services.document_delete(actor=village_staff, document=doc, reason="dup")
        assert web(village_staff).get(reverse("evidence:document_file", args=[doc.uuid])).status_code == 404

    def test_no_static_or_media_url_exposes_documents(self, web, village_staff, case, files):
        doc = upload_to_case(village_staff, case, files.pdf())
        directory = (Path(settings.VAR_DIR) / "documents").resolve()
        for root in (settings.STATIC_ROOT, settings.MEDIA_ROOT, *settings.STATICFILES_DIRS):
            assert not str(directory).startswith(str(Path(root).resolve()) + os.sep)
        client = web(village_staff)
        for url in (f"/static/{doc.stored_name}", f"/static/documents/{doc.stored_name}",
                    f"/media/{doc.stored_name}", f"/documents/{doc.stored_name}", f"/var/documents/{doc.stored_name}"):
            assert client.get(url).status_code == 404
        # The public id is a random uuid, not the sequential primary key.
        assert str(doc.uuid) not in (str(doc.pk), doc.stored_name)


class TestDocumentsApi:
    def test_upload_list_and_delete(self, api, village_staff, case, files):
        client = api(village_staff)
        response = client.post("/api/v1/documents/", {"target_type": "case", "case": case.pk,
                                                        "document_type": "authorisation",
                                                        "file": files.pdf()}, format="multipart")
        assert response.status_code == 201, response.content
        body = response.json()
        assert body["content_type"] == "application/pdf" and body["download"].endswith("/download/")
        listed = client.get(f"/api/v1/documents/?case={case.pk}").json()
        assert listed["count"] == 1 and listed["results"][0]["id"] == body["id"]
        download = client.get(body["download"])
        assert download.status_code == 200 and b"".join(download.streaming_content) == MINIMAL_PDF
        assert client.delete(f"/api/v1/documents/{body['id']}/").status_code == 400  # reason required
        deleted = client.delete(f"/api/v1/documents/{body['id']}/?reason=duplicate")
        assert deleted.status_code == 204
        assert client.get(f"/api/v1/documents/?case={case.pk}").json()["count"] == 0

    def test_bad_file_is_400_with_field_error(self, api, village_staff, case, files):
        response = api(village_staff).post("/api/v1/documents/", {
            "target_type": "case", "case": case.pk, "document_type": "authorisation", "file": files.exe()},
            format="multipart")
        assert response.status_code == 400
        assert response.json()["code"] == "invalid_file" and response.json()["file"]

    def test_missing_fields_are_400(self, api, village_staff):
        response = api(village_staff).post("/api/v1/documents/", {"target_type": "visit"}, format="multipart")
        assert response.status_code == 400
        body = response.json()
        assert "document_type" in body and "file" in body

    def test_upload_to_case_out_of_scope_is_404_and_nothing_stored(self, api, village_staff, other_case, files):
        response = api(village_staff).post("/api/v1/documents/", {
            "target_type": "case", "case": other_case.pk, "document_type": "authorisation", "file": files.pdf()},
            format="multipart")
        assert response.status_code == 404
        assert Document.objects.count() == 0 and stored_files() == []

    def test_auditor_upload_is_403(self, api, auditor, case, files):
        response = api(auditor).post("/api/v1/documents/", {
            "target_type": "case", "case": case.pk, "document_type": "authorisation", "file": files.pdf()},
            format="multipart")
        assert response.status_code == 403
        assert Document.objects.count() == 0 and stored_files() == []

    def test_auditor_delete_is_403_and_other_village_404(self, api, auditor, other_village_staff, village_staff,
                                                         case, files):
        doc = upload_to_case(village_staff, case, files.pdf())
        assert api(auditor).delete(f"/api/v1/documents/{doc.uuid}/?reason=x").status_code == 403
        assert api(other_village_staff).delete(f"/api/v1/documents/{doc.uuid}/?reason=x").status_code == 404
        doc.refresh_from_db()
        assert doc.deleted_at is None

    def test_detail_query_count(self, api, village_staff, case, files, django_assert_num_queries):
        doc = upload_to_case(village_staff, case, files.pdf())
        client = api(village_staff)
        with django_assert_num_queries(2):  # the document (+case, household), uploaded_by
            body = client.get(f"/api/v1/documents/{doc.uuid}/").json()
        assert body["id"] == str(doc.uuid)

    def test_delete_on_decided_case_is_409(self, api, village_staff, case, files):
        doc = upload_to_case(village_staff, case, files.pdf())
        type(case).objects.filter(pk=case.pk).update(status="active")
        response = api(village_staff).delete(f"/api/v1/documents/{doc.uuid}/?reason=x")
        assert response.status_code == 409 and response.json()["code"] == "case_decided"

    def test_list_is_scoped_and_query_count_pinned(self, api, village_staff, other_village_staff, case,
                                                   other_case, files, django_assert_num_queries):
        for _ in range(3):
            upload_to_case(village_staff, case, files.pdf())
        upload_to_case(other_village_staff, other_case, files.pdf())
        client = api(village_staff)
        client.get("/api/v1/documents/")  # warm up the user's division
        with django_assert_num_queries(2):  # count, page (uploaded_by joined)
            body = client.get("/api/v1/documents/").json()
        assert body["count"] == 3
        assert {r["case"] for r in body["results"]} == {case.pk}


class TestPages:
    def test_upload_page_plain_form_and_panel(self, web, village_staff, case, files):
        client = web(village_staff)
        url = reverse("evidence:upload", args=["case", case.pk])
        assert client.get(url).status_code == 200
        response = client.post(url, {"document_type": "authorisation", "file": files.pdf()})
        assert response.status_code == 302
        doc = Document.objects.get()
        panel = client.get(reverse("evidence:documents_panel", args=["case", case.pk]))
        assert panel.status_code == 200 and doc.original_name in panel.content.decode()

    def test_upload_page_xhr_answers_json_errors(self, web, village_staff, case, files):
        client = web(village_staff)
        url = reverse("evidence:upload", args=["case", case.pk])
        response = client.post(url, {"document_type": "authorisation", "file": files.exe()},
                               headers={"X-Requested-With": "XMLHttpRequest"})
        assert response.status_code == 400 and response.json()["errors"]["file"]
        ok = client.post(url, {"document_type": "authorisation", "file": files.pdf()},
                         headers={"X-Requested-With": "XMLHttpRequest"})
        assert ok.status_code == 200 and ok.json()["ok"]

    def test_upload_page_out_of_scope_is_404(self, web, village_staff, other_case, files):
        client = web(village_staff)
        url = reverse("evidence:upload", args=["case", other_case.pk])
        assert client.get(url).status_code == 404
        assert client.post(url, {"document_type": "authorisation", "file": files.pdf()}).status_code == 404
        assert Document.objects.count() == 0 and stored_files() == []

    def test_auditor_sees_panel_but_may_not_upload(self, web, auditor, case):
        client = web(auditor)
        assert client.get(reverse("evidence:documents_panel", args=["case", case.pk])).status_code == 200
        assert client.get(reverse("evidence:upload", args=["case", case.pk])).status_code == 403

    def test_delete_page_action_refused_on_decided_case(self, web, village_staff, case, files):
        doc = upload_to_case(village_staff, case, files.pdf())
        type(case).objects.filter(pk=case.pk).update(status="rejected")
        response = web(village_staff).post(reverse("evidence:document_delete", args=[doc.uuid]),
                                           {"reason": "x"}, follow=True)
        assert "不能删除" in response.content.decode()  # the UI default is Chinese
        doc.refresh_from_db()
        assert doc.deleted_at is None

    def test_panel_query_count_pinned(self, web, village_staff, household, village, files,
                                      django_assert_num_queries):
        case = make_case(household, entered_by=village_staff)
        for _ in range(4):
            upload_to_case(village_staff, case, files.png())
        client = web(village_staff)
        url = reverse("evidence:documents_panel", args=["household", household.pk])
        client.get(url)
        # session, user, user.division (scope), household, documents (+uploaded_by joined)
        with django_assert_num_queries(5):
            response = client.get(url)
        assert response.content.decode().count("evidence/file/") >= 4
