import django_filters
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.parsers import FormParser, JSONParser
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.api.permissions import role_required
from accounts.models import Role, User
from accounts.scoping import WRITER_ROLES
from cases.selectors import access_case_by_id
from evidence import selectors, services
from evidence.api import serializers as s
from evidence.api.parsers import MultiPartParser
from evidence.models import OPEN_COMPLAINT_STATES, ComplaintChannel, ComplaintStatus, Document, DocumentType
from evidence.serving import serve_document
from households.selectors import access_household_by_id

ALL_ROLES = (*WRITER_ROLES, Role.AUDITOR)


class DocumentFilter(django_filters.FilterSet):
    household = django_filters.NumberFilter(field_name="household_id")
    case = django_filters.NumberFilter(field_name="case_id")
    visit = django_filters.NumberFilter(field_name="visit_id", help_text="HomeVisit id")
    visit_number = django_filters.NumberFilter(field_name="visit_number")
    document_type = django_filters.ChoiceFilter(choices=DocumentType.choices)

    class Meta:
        model = Document
        fields = ["household", "case", "visit", "visit_number", "document_type"]


class DocumentViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin,
                      mixins.DestroyModelMixin, viewsets.GenericViewSet):
    """Documents attached to households, cases and home visits. `id` is the document's uuid."""

    serializer_class = s.DocumentSerializer
    filterset_class = DocumentFilter
    queryset = Document.objects.none()
    lookup_field = "uuid"
    lookup_value_converter = "uuid"
    parser_classes = [MultiPartParser, FormParser, JSONParser]
    permission_classes = [IsAuthenticated, role_required(*WRITER_ROLES, safe_roles=ALL_ROLES)]

    def get_queryset(self):
        return selectors.documents_for_user(self.request.user).order_by("-uploaded_at", "-id")

    def get_object(self):
        return selectors.document_for_user(self.request.user, self.kwargs["uuid"])

    @extend_schema(request={"multipart/form-data": s.DocumentUploadSerializer},
                   responses={201: s.DocumentSerializer})
    def create(self, request, *args, **kwargs):
        upload = s.DocumentUploadSerializer(data=request.data)
        upload.is_valid(raise_exception=True)
        data = upload.validated_data
        target_id = data.get("household") if data["target_type"] == "household" else data.get("case")
        target = selectors.target_for_user(request.user, data["target_type"], target_id, data.get("visit_number"))
        document = services.document_upload(actor=request.user, target=target, document_type=data["document_type"],
                                            uploaded_file=data["file"], note=data.get("note", ""))
        return Response(s.DocumentSerializer(document).data, status=status.HTTP_201_CREATED)

    @extend_schema(parameters=[OpenApiParameter("reason", str, description="why the document is removed")],
                   request=s.DocumentDeleteSerializer, responses={204: None})
    def destroy(self, request, *args, **kwargs):
        document = self.get_object()
        reason = request.data.get("reason") if hasattr(request.data, "get") else None
        services.document_delete(actor=request.user, document=document,
                                 reason=reason or request.query_params.get("reason", ""))
        return Response(status=status.HTTP_204_NO_CONTENT)


class DocumentDownloadView(APIView):
    permission_classes = [IsAuthenticated, role_required(*ALL_ROLES)]

    @extend_schema(responses={(200, "application/octet-stream"): OpenApiTypes.BINARY},
                   parameters=[OpenApiParameter("uuid", OpenApiTypes.UUID, OpenApiParameter.PATH)])
    def get(self, request, uuid):
        document = selectors.document_for_user(request.user, uuid)
        return serve_document(request, document)


class ComplaintFilter(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(choices=ComplaintStatus.choices)
    channel = django_filters.ChoiceFilter(choices=ComplaintChannel.choices)
    case = django_filters.NumberFilter(field_name="case_id")
    household = django_filters.NumberFilter(field_name="household_id")
    overdue = django_filters.BooleanFilter(method="filter_overdue")

    class Meta:
        model = selectors.Complaint
        fields = ["status", "channel", "case", "household", "overdue"]

    def filter_overdue(self, queryset, name, value):
        if value:
            return queryset.filter(status__in=OPEN_COMPLAINT_STATES, deadline__lt=timezone.localdate())
        return queryset


class ComplaintViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin,
                       viewsets.GenericViewSet):
    """The complaints register. Complaints about staff members are listed only for county officers,
    auditors and admins."""

    serializer_class = s.ComplaintSerializer
    filterset_class = ComplaintFilter
    queryset = selectors.Complaint.objects.none()
    permission_classes = [IsAuthenticated, role_required(Role.COUNTY_OFFICER, safe_roles=ALL_ROLES)]

    def get_queryset(self):
        return selectors.complaint_list(self.request.user)

    def get_object(self):
        return selectors.complaint_for_user(self.request.user, self.kwargs["pk"])

    @extend_schema(request=s.ComplaintCreateSerializer, responses={201: s.ComplaintSerializer})
    def create(self, request, *args, **kwargs):
        form = s.ComplaintCreateSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        data = form.validated_data
        case = access_case_by_id(request.user, data["case"]) if data.get("case") else None
        household = access_household_by_id(request.user, data["household"]) if data.get("household") else None
        staff_member = None
        if data.get("staff_member"):
            staff_member = User.objects.select_related("division").filter(username=data["staff_member"]).first()
            if staff_member is None:
                raise s.serializers.ValidationError({"staff_member": [_("No such user.")]})
        complaint = services.complaint_record(
            actor=request.user, text=data["text"], channel=data["channel"], received_on=data.get("received_on"),
            case=case, household=household, staff_member=staff_member, anonymous=data["anonymous"],
            complainant_name=data["complainant_name"], complainant_contact=data["complainant_contact"])
        return Response(s.ComplaintSerializer(complaint, context={"request": request}).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=s.ComplaintAssignSerializer, responses=s.ComplaintSerializer)
    @action(detail=True, methods=["post"])
    def assign(self, request, pk=None):
        complaint = self.get_object()
        form = s.ComplaintAssignSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        officer = User.objects.select_related("division").filter(username=form.validated_data["assigned_to"]).first()
        complaint = services.complaint_assign(actor=request.user, complaint=complaint, assigned_to=officer)
        return Response(s.ComplaintSerializer(complaint, context={"request": request}).data)

    @extend_schema(request=None, responses=s.ComplaintSerializer)
    @action(detail=True, methods=["post"])
    def investigate(self, request, pk=None):
        complaint = services.complaint_start_investigation(actor=request.user, complaint=self.get_object())
        return Response(s.ComplaintSerializer(complaint, context={"request": request}).data)

    @extend_schema(request=s.ComplaintResolveSerializer, responses=s.ComplaintSerializer)
    @action(detail=True, methods=["post"])
    def resolve(self, request, pk=None):
        complaint = self.get_object()
        form = s.ComplaintResolveSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        complaint = services.complaint_resolve(actor=request.user, complaint=complaint, **form.validated_data)
        return Response(s.ComplaintSerializer(complaint, context={"request": request}).data)

