import django_filters
from django.urls import reverse
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.api.permissions import role_required
from accounts.models import Division, Role
from accounts.scoping import scope_prefix, scope_queryset
from accounts.selectors import divisions_visible
from dibao.errors import DomainError
from overlaps import services
from overlaps.api.serializers import OverlapFlagSerializer, ResolveSerializer, ScanJobSerializer, ScanRequestSerializer
from overlaps.models import FlagStatus, OverlapFlag, RuleCode, Severity
from overlaps.selectors import access_flag_by_id

ALL_ROLES = tuple(Role.values)


class FlagFilter(django_filters.FilterSet):
    rule = django_filters.ChoiceFilter(choices=RuleCode.choices)
    status = django_filters.ChoiceFilter(choices=FlagStatus.choices)
    severity = django_filters.ChoiceFilter(choices=Severity.choices)
    division = django_filters.CharFilter(method="filter_division",
                                         help_text="12-digit division code (any level) or a code prefix.")

    class Meta:
        model = OverlapFlag
        fields = ["rule", "status", "severity", "division"]

    def filter_division(self, qs, name, value):
        value = value.strip()
        if len(value) == 12 and value.isdigit():
            prefix = Division.objects.filter(code=value).first()
            value = prefix.prefix if prefix else value
        return qs.filter(division_code__startswith=value)


class OverlapFlagViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Findings of the shared registry, scoped to the user's area."""

    serializer_class = OverlapFlagSerializer
    filterset_class = FlagFilter
    queryset = OverlapFlag.objects.none()
    permission_classes = [IsAuthenticated, role_required(Role.COUNTY_OFFICER, safe_roles=ALL_ROLES)]

    def get_queryset(self):
        return scope_queryset(self.request.user, OverlapFlag.objects.select_related("resolved_by")).order_by("-id")

    @extend_schema(request=ResolveSerializer, responses=OverlapFlagSerializer)
    @action(detail=True, methods=["post"])
    def resolve(self, request, pk=None):
        flag = access_flag_by_id(request.user, pk)
        serializer = ResolveSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        flag = services.flag_resolve(actor=request.user, flag=flag, outcome=data["outcome"], note=data["note"],
                                     version=data.get("version"))
        return Response(OverlapFlagSerializer(flag).data)


class OverlapScanView(APIView):
    """Start a full scan of a county (or, for an admin, the whole installation) as a job."""

    permission_classes = [IsAuthenticated, role_required(Role.COUNTY_OFFICER)]

    @extend_schema(request=ScanRequestSerializer, responses={202: ScanJobSerializer})
    def post(self, request):
        serializer = ScanRequestSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        prefix = scan_prefix_for(request.user, serializer.validated_data.get("division", ""))
        job = services.scan_start(actor=request.user, prefix=prefix)
        return Response({"job": job.pk, "url": reverse("api-job", args=[job.pk])}, status=status.HTTP_202_ACCEPTED)


def scan_prefix_for(user, division_code: str) -> str:
    """The prefix a user may scan: their own area, or a division inside it (admin: anything)."""
    if not division_code:
        return scope_prefix(user) or ""
    division = divisions_visible(user).filter(code=division_code).first()
    if division is None:
        raise DomainError(_("Choose a division inside your area."),
                          fields={"division": [_("Choose a division inside your area.")]})
    return division.prefix
