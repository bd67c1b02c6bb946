from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from audit.disclosure import NOTE_MAX_LENGTH, purpose_choices
from reports.definitions import REPORTS
from reports.models import Export, ExportFormat


class ExportCreateSerializer(serializers.Serializer):
    report = serializers.ChoiceField(choices=[(k, str(d.title)) for k, d in REPORTS.items()],
                                     error_messages={"invalid_choice": _("There is no report called “{input}”.")})
    format = serializers.ChoiceField(choices=ExportFormat.choices)
    filters = serializers.DictField(child=serializers.CharField(allow_blank=True), required=False, default=dict,
                                    help_text=_("division (12-digit code), date_from, date_to (YYYY-MM-DD), status"))
    purpose = serializers.ChoiceField(choices=purpose_choices(), required=False, allow_blank=True,
                                      help_text=_("A purpose from the list to get full ID numbers; it is logged."))
    purpose_note = serializers.CharField(required=False, allow_blank=True, max_length=NOTE_MAX_LENGTH,
                                         help_text=_("Why the full ID numbers are needed (with a purpose)."))


class ExportSerializer(serializers.ModelSerializer):
    status = serializers.SerializerMethodField()
    progress = serializers.SerializerMethodField()
    job = serializers.PrimaryKeyRelatedField(read_only=True, allow_null=True)
    download = serializers.SerializerMethodField()
    id_numbers = serializers.SerializerMethodField()

    class Meta:
        model = Export
        fields = ["id", "report", "format", "filters", "row_count", "purpose", "id_numbers", "status", "progress",
                  "job", "created_at", "expires_at", "download"]

    def get_status(self, export) -> str:
        if export.is_expired or export.file_deleted:
            return "expired"
        if export.job_id:
            return export.job.status
        return "succeeded" if export.file else "streamed"

    def get_progress(self, export) -> int:
        if export.job_id:
            return export.job.progress
        return 100

    def get_download(self, export) -> str | None:
        if export.file and not export.file_deleted:
            return reverse("api-export-download", args=[export.pk])
        return None

    def get_id_numbers(self, export) -> str:
        return "full" if export.purpose else "masked"
