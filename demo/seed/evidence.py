"""Demo documents and complaints (idempotent). Called by seed_demo after households and cases.

Files are generated: a minimal valid PDF written by hand (a few hundred bytes) and small PNGs
drawn with Pillow, uploaded through the same service as a real upload.
"""

import io
from datetime import date

from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.utils import timezone
from PIL import Image, ImageDraw

from accounts.models import Division, User
from cases.models import Case
from demo.clock import after, at
from demo.schedule import Schedule
from evidence import services
from evidence.models import Complaint, Document, RequiredDocument, Stage
from evidence.selectors import Target
from households.models import Household

COUNTY_CODE = "370283000000"
DEMO_NOTE = "演示数据 demo"


def minimal_pdf(text: str) -> bytes:
    """A one-page PDF with one line of (ASCII) text and a correct cross-reference table."""
    stream = f"BT /F1 14 Tf 40 160 Td ({text}) Tj ET".encode("ascii")
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 400 200] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    for offset in offsets:
        out += b"%010d 00000 n \n" % offset
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return bytes(out)


def demo_png(label: str, color=(60, 120, 180)) -> bytes:
    image = Image.new("RGB", (480, 320), (245, 245, 240))
    draw = ImageDraw.Draw(image)
    draw.rectangle([20, 20, 460, 300], outline=color, width=6)
    draw.line([40, 260, 440, 260], fill=color, width=3)
    draw.text((40, 40), label, fill=(30, 30, 30))
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()


def _upload(actor, target, document_type, name, content, content_type):
    services.document_upload(actor=actor, target=target, document_type=document_type, note=DEMO_NOTE,
                             uploaded_file=SimpleUploadedFile(name, content, content_type=content_type))


def seed(stdout) -> None:
    county = Division.objects.filter(code=COUNTY_CODE).first()
    officer = User.objects.filter(username="county1").first()
    officer2 = User.objects.filter(username="county2").first()
    village_user = User.objects.filter(username="village1").first()
    township_user = User.objects.filter(username="township1").first()
    if not (county and officer and village_user):
        stdout.write("evidence: demo divisions/users missing, skipped")
        return
    for stage, document_type in ((Stage.SUBMIT, "authorisation"), (Stage.VISIT_SIGNED, "visit_record")):
        RequiredDocument.objects.get_or_create(county=county, stage=stage, document_type=document_type,
                                               effective_from=date(2020, 1, 1))
    cases = list(Case.objects.filter(division_code__startswith=county.prefix).select_related("household")
                 .order_by("id")[:8])
    households = list(Household.objects.filter(division_code__startswith=county.prefix).order_by("id")[:8])
    if not cases and not households:
        stdout.write("evidence: no demo households or cases yet; only the county configuration was seeded")
        return
    documents = 0
    for case in cases:
        if Document.objects.filter(case=case, note=DEMO_NOTE).exists():
            continue
        actor = village_user if case.division_code == village_user.division.code else (township_user or officer)
        if not actor.division or not case.division_code.startswith(actor.division.prefix):
            actor = officer
        visit = case.visits.filter(round=1, number=1).first()
        with transaction.atomic():
            # Uploaded when the application was entered, and on the day of the first visit.
            with after(case.created_at, minutes=20):
                _upload(actor, Target("case", case.household, case), "authorisation", "授权书.pdf",
                        minimal_pdf(f"Authorisation for information checks - case {case.pk}"), "application/pdf")
                _upload(actor, Target("household", case.household), "household_register", "户口簿.png",
                        demo_png(f"Household register - household {case.household_id}"), "image/png")
            documents += 2
            if visit is not None:
                with at(visit.visit_date, minute=240):
                    _upload(actor, Target("visit", case.household, case, visit_number=1), "visit_record",
                            "入户调查记录1.pdf", minimal_pdf(f"Home visit 1 record - case {case.pk}"),
                            "application/pdf")
                    _upload(actor, Target("visit", case.household, case, visit_number=1), "photo", "入户照片.png",
                            demo_png(f"Home visit photo - case {case.pk}", (90, 150, 60)), "image/png")
                documents += 2
    complaints = 0
    today = timezone.localdate()
    schedule = Schedule(today, span_days=120)
    plans = []

    def case_entered_before(received_on):
        """A complaint concerns an application already made (and not a draft still being prepared)."""
        for case in cases:
            if case.status != "draft" and timezone.localtime(case.created_at).date() < received_on:
                return case
        return cases[0]

    if cases:
        plans.append(("反映该户有成员在外务工，收入未如实申报。", "phone",
                      {"case": case_entered_before(schedule.ago(2))}, "received", None))
        plans.append(("举报申请人家中新购小汽车。", "letter",
                      {"case": case_entered_before(schedule.ago(9))}, "resolved", "partly_upheld"))
    if households:
        plans.append(("邻居反映该户实际居住人口与登记不符。", "visit", {"household": households[-1]}, "investigating",
                      None))
    plans.append(("村干部在评议中偏向亲属，要求调查。", "online", {"staff_member": village_user}, "resolved",
                  "not_upheld"))
    plans.append(("工作人员入户时态度粗暴。", "phone", {"staff_member": village_user}, "received", None))
    for index, (text, channel, subject, state, outcome) in enumerate(plans):
        if Complaint.objects.filter(text=text).exists():
            continue
        # Recorded the (working) day it came in, investigated from the next one, resolved a few later.
        received_on = schedule.ago(2 + 7 * index)
        steps = [received_on, schedule.forward(received_on, 1), schedule.forward(received_on, min(4, 1 + 7 * index))]
        with transaction.atomic():
            with at(steps[0], minute=30):
                c = services.complaint_record(actor=officer, text=text, channel=channel, anonymous=index % 2 == 1,
                                              complainant_name="" if index % 2 else "王秀兰",
                                              received_on=received_on, **subject)
                if officer2 and index % 2 == 0:
                    c = services.complaint_assign(actor=officer, complaint=c, assigned_to=officer2)
            if state in ("investigating", "resolved"):
                with at(steps[1], minute=60):
                    c = services.complaint_start_investigation(actor=officer2 or officer, complaint=c)
            if state == "resolved":
                with at(steps[2], minute=90):
                    services.complaint_resolve(actor=officer2 or officer, complaint=c, outcome=outcome,
                                               findings="经入户核查并询问邻里，情况已查明。")
            complaints += 1
    stdout.write(f"evidence: {documents} documents, {complaints} complaints added")
