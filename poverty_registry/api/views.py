import django_filters
from django.urls import reverse
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.api.permissions import role_required
from accounts.models import Role
from poverty_registry import removals, selectors, services
from poverty_registry.api.serializers import (
    ImportJobSerializer,
    ImportRemovalsSerializer,
    ImportUploadSerializer,
    RegistrationDetailSerializer,
    RegistrationPatchSerializer,
    RegistrationSerializer,
    RegistrationWriteSerializer,
)
from poverty_registry.models import MonitoringType, RegistryHousehold, RegistryStatus

ALL_ROLES = tuple(Role.values)
CanWrite = role_required(Role.COUNTY_OFFICER, safe_roles=ALL_ROLES)


class RegistrationFilter(django_filters.FilterSet):
    year = django_filters.NumberFilter()
    status = django_filters.ChoiceFilter(choices=RegistryStatus.choices)
    monitoring_type = django_filters.ChoiceFilter(
        choices=[(v, label) for v, label in MonitoringType.choices if v] + [("none", "none")],
        method="filter_monitoring")
    division = django_filters.CharFilter(method="filter_division",
                                         help_text="12-digit division code (any level) or a code prefix.")

    class Meta:
        model = RegistryHousehold
        fields = ["year", "status", "monitoring_type", "division"]

    def filter_monitoring(self, qs, name, value):
        return selectors.registration_filter(qs, monitoring_type=value)

    def filter_division(self, qs, name, value):
        return selectors.registration_filter(qs, division=value)


class RegistrationViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """The other department's roster (建档立卡 / 防返贫监测). Reads are scoped; writes are county officers'."""

    queryset = RegistryHousehold.objects.none()
    filterset_class = RegistrationFilter
    permission_classes = [IsAuthenticated, CanWrite]
    http_method_names = ["get", "post", "patch", "head", "options"]

    def get_serializer_class(self):
        if self.action == "retrieve":
            return RegistrationDetailSerializer
        if self.action == "create":
            return RegistrationWriteSerializer
        if self.action == "partial_update":
            return RegistrationPatchSerializer
        return RegistrationSerializer

    def get_queryset(self):
        return selectors.registrations_visible(self.request.user)

    def retrieve(self, request, pk=None):
        household = selectors.registration_detail(request.user, pk)
        return Response(RegistrationDetailSerializer(household).data)

    @extend_schema(request=RegistrationWriteSerializer, responses={201: RegistrationDetailSerializer})
    def create(self, request):
        serializer = RegistrationWriteSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        data["division_code"] = data.pop("division")
        household = services.registration_create(actor=request.user, **data)
        household = selectors.registration_detail(request.user, household.pk)
        return Response(RegistrationDetailSerializer(household).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=RegistrationPatchSerializer, responses={200: RegistrationDetailSerializer})
    def partial_update(self, request, pk=None):
        household = selectors.registration_detail(request.user, pk)
        serializer = RegistrationPatchSerializer(data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        changes = dict(serializer.validated_data)
        if "division" in changes:
            changes["division_code"] = changes.pop("division")
        services.registration_update(actor=request.user, household=household, **changes)
        household = selectors.registration_detail(request.user, pk)
        return Response(RegistrationDetailSerializer(household).data)


class RegistryImportView(APIView):
    """Upload a registry file; it is checked at once (400 naming the problem) and imported as a job."""

    permission_classes = [IsAuthenticated, role_required(Role.COUNTY_OFFICER)]
    parser_classes = [MultiPartParser, FormParser]

    @extend_schema(request={"multipart/form-data": ImportUploadSerializer}, responses={202: ImportJobSerializer})
    def post(self, request):
        serializer = ImportUploadSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        job = services.import_start(actor=request.user, uploaded=serializer.validated_data["file"],
                                    year=serializer.validated_data.get("year"))
        body = {"id": job.pk, "status": job.status, "url": reverse("api-job", args=[job.pk]),
                "page": reverse("jobs:detail", args=[job.pk]),
                "removals": reverse("api-poverty-registry-import-removals", args=[job.pk])}
        return Response(ImportJobSerializer(body).data, status=status.HTTP_202_ACCEPTED)


def _removals_body(job) -> dict:
    shown = removals.removals_shown(job) or {"state": "none", "count": 0, "members": []}
    return {"job": job.pk, **shown, "confirm": reverse("api-poverty-registry-import-removals-confirm", args=[job.pk])}


class ImportRemovalsView(APIView):
    """The members a re-import would remove (masked name, household, village), waiting for confirmation."""

    permission_classes = [IsAuthenticated, role_required(Role.COUNTY_OFFICER)]

    @extend_schema(responses=ImportRemovalsSerializer)
    def get(self, request, pk: int):
        job = removals.access_import_by_id(request.user, pk)
        return Response(ImportRemovalsSerializer(_removals_body(job)).data)


class ImportRemovalsConfirmView(APIView):
    """Confirm the list: the members are removed (409 when nothing waits for confirmation)."""

    permission_classes = [IsAuthenticated, role_required(Role.COUNTY_OFFICER)]

    @extend_schema(request=None, responses=ImportRemovalsSerializer)
    def post(self, request, pk: int):
        job = removals.import_removals_confirm(actor=request.user, job_id=pk)
        return Response(ImportRemovalsSerializer(_removals_body(job)).data)
