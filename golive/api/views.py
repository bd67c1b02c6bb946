"""Go-live API: upload a roster file (dry run), read a batch, confirm, undo."""

from django.urls import reverse
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.api.permissions import role_required
from accounts.models import Role
from golive import services
from golive.models import RosterBatch


class RosterUploadSerializer(serializers.Serializer):
    file = serializers.FileField()


class RosterVersionSerializer(serializers.Serializer):
    version = serializers.IntegerField(help_text="The batch's version as read; a stale one is refused (409).")


class BatchSerializer(serializers.ModelSerializer):
    dry_run_job = serializers.SerializerMethodField()
    apply_job = serializers.SerializerMethodField()
    errors_file = serializers.SerializerMethodField()

    class Meta:
        model = RosterBatch
        fields = ["id", "county_code", "filename", "status", "summary", "unknown_columns", "dry_run_job",
                  "apply_job", "errors_file", "created_at", "confirmed_at", "applied_at", "undone_at", "version"]

    def get_dry_run_job(self, batch) -> str | None:
        return reverse("api-job", args=[batch.dry_run_job_id]) if batch.dry_run_job_id else None

    def get_apply_job(self, batch) -> str | None:
        return reverse("api-job", args=[batch.apply_job_id]) if batch.apply_job_id else None

    def get_errors_file(self, batch) -> str | None:
        return reverse("golive:errors", args=[batch.pk]) if batch.error_file else None


class RosterImportView(APIView):
    """Upload a roster file: checked at once (400 naming the problem), then a dry run; nothing is written."""

    permission_classes = [IsAuthenticated, role_required(Role.COUNTY_OFFICER)]
    parser_classes = [MultiPartParser, FormParser]

    @extend_schema(request={"multipart/form-data": RosterUploadSerializer}, responses={202: BatchSerializer})
    def post(self, request):
        serializer = RosterUploadSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        batch = services.roster_upload(actor=request.user, uploaded=serializer.validated_data["file"])
        return Response(BatchSerializer(batch).data, status=status.HTTP_202_ACCEPTED)


class RosterBatchView(APIView):
    permission_classes = [IsAuthenticated, role_required(Role.COUNTY_OFFICER, Role.AUDITOR)]

    @extend_schema(responses=BatchSerializer)
    def get(self, request, pk: int):
        return Response(BatchSerializer(services.access_batch_by_id(request.user, pk)).data)


class RosterConfirmView(APIView):
    permission_classes = [IsAuthenticated, role_required(Role.COUNTY_OFFICER)]

    @extend_schema(request=RosterVersionSerializer, responses={202: BatchSerializer})
    def post(self, request, pk: int):
        batch = services.access_batch_by_id(request.user, pk)
        serializer = RosterVersionSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        batch = services.roster_confirm(actor=request.user, batch=batch,
                                        version=serializer.validated_data.get("version"))
        return Response(BatchSerializer(batch).data, status=status.HTTP_202_ACCEPTED)


class RosterUndoView(APIView):
    permission_classes = [IsAuthenticated, role_required(Role.COUNTY_OFFICER)]

    @extend_schema(request=RosterVersionSerializer, responses=BatchSerializer)
    def post(self, request, pk: int):
        batch = services.access_batch_by_id(request.user, pk)
        serializer = RosterVersionSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        services.roster_undo(actor=request.user, batch=batch, version=serializer.validated_data.get("version"))
        return Response(BatchSerializer(services.access_batch_by_id(request.user, pk)).data)


class RosterDiscardView(APIView):
    """Discard a dry run that will not be confirmed: its staged rows and error list are deleted."""

    permission_classes = [IsAuthenticated, role_required(Role.COUNTY_OFFICER)]

    @extend_schema(request=RosterVersionSerializer, responses=BatchSerializer)
    def post(self, request, pk: int):
        batch = services.access_batch_by_id(request.user, pk)
        serializer = RosterVersionSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        batch = services.roster_discard(actor=request.user, batch=batch,
                                        version=serializer.validated_data.get("version"))
        return Response(BatchSerializer(batch).data)
