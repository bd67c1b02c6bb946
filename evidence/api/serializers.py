from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from evidence.identity import complainant_visible
from evidence.models import Complaint, ComplaintChannel, ComplaintOutcome, Document, DocumentType, TargetType


class DocumentSerializer(serializers.ModelSerializer):
    id = serializers.UUIDField(source="uuid", read_only=True)
    uploaded_by = serializers.CharField(source="uploaded_by.username", read_only=True)
    download = serializers.SerializerMethodField()
    thumbnail = serializers.SerializerMethodField()

    class Meta:
        model = Document
        fields = ["id", "target_type", "household", "case", "visit_id", "visit_number", "document_type",
                  "original_name", "content_type", "size", "sha256", "width", "height", "note",
                  "uploaded_by", "uploaded_at", "download", "thumbnail"]

    def get_download(self, document) -> str:
        return reverse("api-document-download", args=[document.uuid])

    def get_thumbnail(self, document) -> str | None:
        return reverse("evidence:document_thumbnail", args=[document.uuid]) if document.thumbnail_name else None


class DocumentUploadSerializer(serializers.Serializer):
    """multipart/form-data. For a visit give `case` and `visit_number` (1 or 2)."""

    target_type = serializers.ChoiceField(choices=TargetType.choices)
    household = serializers.IntegerField(required=False, min_value=1)
    case = serializers.IntegerField(required=False, min_value=1)
    visit_number = serializers.IntegerField(required=False, min_value=1, max_value=2)
    document_type = serializers.ChoiceField(choices=DocumentType.choices)
    file = serializers.FileField(allow_empty_file=True, use_url=False)
    note = serializers.CharField(required=False, allow_blank=True, max_length=200, default="")

    def validate(self, attrs):
        target_type = attrs["target_type"]
        if target_type == TargetType.HOUSEHOLD and not attrs.get("household"):
            raise serializers.ValidationError({"household": [_("This field is required.")]})
        if target_type in (TargetType.CASE, TargetType.VISIT) and not attrs.get("case"):
            raise serializers.ValidationError({"case": [_("This field is required.")]})
        if target_type == TargetType.VISIT and not attrs.get("visit_number"):
            raise serializers.ValidationError({"visit_number": [_("This field is required.")]})
        return attrs


class DocumentDeleteSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=200)


class ComplaintSerializer(serializers.ModelSerializer):
    assigned_to = serializers.CharField(source="assigned_to.username", default=None, allow_null=True, read_only=True)
    staff_member = serializers.CharField(source="staff_member.username", default=None, allow_null=True, read_only=True)
    is_overdue = serializers.SerializerMethodField()
    identity_withheld = serializers.SerializerMethodField(
        help_text=_("True when the reader may not see who complained (village and township staff): "
                    "anonymous, complainant_name and complainant_contact are then null."))
    anonymous = serializers.SerializerMethodField()
    complainant_name = serializers.SerializerMethodField()
    complainant_contact = serializers.SerializerMethodField()

    class Meta:
        model = Complaint
        fields = ["id", "identity_withheld", "anonymous", "complainant_name", "complainant_contact", "case",
                  "household", "staff_member", "text", "channel", "received_on", "deadline", "is_overdue", "status",
                  "assigned_to", "findings", "outcome", "resolved_at", "division_code", "created_at"]

    def _visible(self, complaint) -> bool:
        # No request in the context: nobody is known to be entitled, so nothing is shown.
        request = self.context.get("request")
        return request is not None and complainant_visible(request.user, complaint)

    def get_identity_withheld(self, complaint) -> bool:
        return not self._visible(complaint)

    def get_anonymous(self, complaint) -> bool | None:
        return complaint.anonymous if self._visible(complaint) else None

    def get_complainant_name(self, complaint) -> str | None:
        return complaint.complainant_name if self._visible(complaint) else None

    def get_complainant_contact(self, complaint) -> str | None:
        return complaint.complainant_contact if self._visible(complaint) else None

    def get_is_overdue(self, complaint) -> bool:
        return complaint.is_open and complaint.deadline < timezone.localdate()


class ComplaintCreateSerializer(serializers.Serializer):
    """At least one subject: `case`, `household` or `staff_member` (a username)."""

    anonymous = serializers.BooleanField(default=False)
    complainant_name = serializers.CharField(required=False, allow_blank=True, max_length=50, default="")
    complainant_contact = serializers.CharField(required=False, allow_blank=True, max_length=100, default="")
    case = serializers.IntegerField(required=False, allow_null=True, min_value=1)
    household = serializers.IntegerField(required=False, allow_null=True, min_value=1)
    staff_member = serializers.CharField(required=False, allow_blank=True, allow_null=True, max_length=150)
    text = serializers.CharField()
    channel = serializers.ChoiceField(choices=ComplaintChannel.choices)
    received_on = serializers.DateField(required=False)

    def validate(self, attrs):
        if not (attrs.get("case") or attrs.get("household") or attrs.get("staff_member")):
            raise serializers.ValidationError(
                {"subject": [_("Name what the complaint is about: a case, a household or a staff member.")]})
        return attrs


class ComplaintAssignSerializer(serializers.Serializer):
    assigned_to = serializers.CharField(max_length=150, help_text="username of a county officer")


class ComplaintResolveSerializer(serializers.Serializer):
    findings = serializers.CharField()
    outcome = serializers.ChoiceField(choices=ComplaintOutcome.choices)
