from pathlib import Path

from django.conf import settings
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.exceptions import APIException
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.api.permissions import role_required
from dibao import filecrypt
from dibao.errors import NotFound
from reports import services
from reports.api.serializers import ExportCreateSerializer, ExportSerializer
from reports.models import Export
from reports.selectors import export_for_user


class ExportGone(APIException):
    status_code = 410
    default_detail = _("This export has expired and its file was deleted. Request the export again.")
    default_code = "export_expired"


class ExportNotReady(APIException):
    status_code = 409
    default_detail = _("The export is not ready yet; follow its job's progress.")
    default_code = "export_not_ready"


class ExportListView(APIView):
    permission_classes = [role_required(*services.EXPORT_ROLES)]

    @extend_schema(request=ExportCreateSerializer, responses={201: ExportSerializer, 202: ExportSerializer},
                   description="Small exports are written at once (201, download link); large ones run as a job (202).")
    def post(self, request):
        serializer = ExportCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        export = services.export_request(actor=request.user, report=data["report"], fmt=data["format"],
                                         filters=data.get("filters") or {}, purpose=data.get("purpose", ""),
                                         purpose_note=data.get("purpose_note", ""))
        if export.streamed:
            # The API cannot stream into the JSON answer: write the small file now.
            path = services.export_write_file(export=export)
            export.file = str(path.relative_to(Path(settings.VAR_DIR)))
            Export.objects.filter(pk=export.pk).update(file=export.file)
            return Response(ExportSerializer(export).data, status=status.HTTP_201_CREATED)
        export.refresh_from_db()
        return Response(ExportSerializer(export).data, status=status.HTTP_202_ACCEPTED)


class ExportDetailView(APIView):
    @extend_schema(responses=ExportSerializer)
    def get(self, request, pk: int):
        return Response(ExportSerializer(export_for_user(request.user, pk)).data)


class ExportDownloadView(APIView):
    @extend_schema(responses={(200, "application/octet-stream"): OpenApiResponse(OpenApiTypes.BINARY),
                              404: OpenApiResponse(description="Not yours or missing"),
                              410: OpenApiResponse(description="Expired")})
    def get(self, request, pk: int):
        export = export_for_user(request.user, pk)
        if export.is_expired or export.file_deleted:
            raise ExportGone()
        if not services.export_ready(export):
            raise ExportNotReady()
        root = Path(settings.VAR_DIR).resolve()
        path = (root / export.file).resolve()
        if not str(path).startswith(str(root)) or not path.exists():
            raise NotFound()
        response = filecrypt.download_response(path, filename=path.name)  # decrypted as it is sent
        response["Cache-Control"] = "no-store"
        return response
