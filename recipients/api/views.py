from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.negotiation import DefaultContentNegotiation
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response

from accounts.api.permissions import role_required
from accounts.models import Division, Role
from accounts.selectors import access_division_by_code
from cases.selectors import access_case_by_id
from jobs.api import JobSerializer
from recipients import selectors, services
from recipients.api import serializers as s
from recipients.models import ReviewKind, ReviewStatus
from recipients.views import export_response

READ_ROLES = (Role.COUNTY_OFFICER, Role.AUDITOR)


class FileFormatNegotiation(DefaultContentNegotiation):
    """`?format=csv|xlsx` names the file to export, not a DRF renderer: errors still render as JSON."""

    def select_renderer(self, request, renderers, format_suffix=None):
        return renderers[0], renderers[0].media_type


@extend_schema_view(
    list=extend_schema(parameters=[
        OpenApiParameter("status", str, enum=ReviewStatus.values, description="default: due"),
        OpenApiParameter("kind", str, enum=ReviewKind.values),
        OpenApiParameter("division", str, description="division code (any level)"),
        OpenApiParameter("overdue", bool),
        OpenApiParameter("due_before", OpenApiTypes.DATE),
        OpenApiParameter("case", int),
    ]),
)
class ReviewViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Reviews (复核): GET the due ones; POST a change report; POST /{id}/complete/."""

    serializer_class = s.ReviewSerializer
    permission_classes = [IsAuthenticated, role_required(
        Role.COUNTY_OFFICER, Role.VILLAGE_STAFF, Role.TOWNSHIP_STAFF, safe_roles=READ_ROLES)]

    def get_serializer_context(self):
        return super().get_serializer_context() | {"today": timezone.localdate()}

    def get_queryset(self):
        qs = selectors.reviews_visible(self.request.user).order_by("due_date", "id")
        if self.action != "list":
            return qs
        params = self.request.query_params
        qs = qs.filter(status=params.get("status") or ReviewStatus.DUE)
        if params.get("kind"):
            qs = qs.filter(kind=params["kind"])
        if params.get("division"):
            division = Division.objects.filter(code=params["division"]).first()
            qs = qs.filter(division_code__startswith=division.prefix) if division else qs.none()
        if params.get("overdue") in ("1", "true", "True"):
            qs = qs.filter(due_date__lt=timezone.localdate())
        if params.get("due_before"):
            field = serializers.DateField()
            try:
                qs = qs.filter(due_date__lte=field.to_internal_value(params["due_before"]))
            except serializers.ValidationError as exc:
                raise serializers.ValidationError({"due_before": exc.detail})
        if params.get("case", "").isdigit():
            qs = qs.filter(case_id=int(params["case"]))
        return qs

    @extend_schema(request=s.ReportChangeSerializer, responses={201: s.ReviewSerializer})
    def create(self, request):
        data = _valid(s.ReportChangeSerializer, request.data)
        case = access_case_by_id(request.user, data["case"])
        review = services.review_report_change(actor=request.user, case=case,
                                               reported_change=data["reported_change"])
        return Response(self.get_serializer(review).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=s.ReviewCompleteSerializer, responses={200: s.ReviewSerializer})
    @action(detail=True, methods=["post"], permission_classes=[IsAuthenticated, role_required(Role.COUNTY_OFFICER)])
    def complete(self, request, pk=None):
        review = self.get_object()
        data = _valid(s.ReviewCompleteSerializer, request.data)
        review = services.review_complete(actor=request.user, review=review, **data)
        return Response(self.get_serializer(review).data)

    @extend_schema(request=s.ReviewVersionSerializer, responses={200: s.ReviewSerializer})
    @action(detail=True, methods=["post"], url_path="confirm-amount",
            permission_classes=[IsAuthenticated, role_required(Role.COUNTY_OFFICER)])
    def confirm_amount(self, request, pk=None):
        """A second county officer confirms the higher amount the review proposed."""
        review = self.get_object()
        data = _valid(s.ReviewVersionSerializer, request.data)
        review = services.review_confirm_amount(actor=request.user, review=review, version=data["version"])
        return Response(self.get_serializer(review).data)


def _valid(serializer_class, data) -> dict:
    serializer = serializer_class(data=data)
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data


class PaymentRollViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Monthly payment rolls: GET, POST {county, month}; /{id}/lines/, /{id}/export/, /{id}/review/, /{id}/finalise/."""

    permission_classes = [IsAuthenticated, role_required(Role.COUNTY_OFFICER, safe_roles=READ_ROLES)]

    def get_queryset(self):
        qs = selectors.rolls_visible(self.request.user)
        if self.action == "list":
            params = self.request.query_params
            if params.get("status"):
                qs = qs.filter(status=params["status"])
            if params.get("county"):
                qs = qs.filter(county__code=params["county"])
            if params.get("month"):
                try:
                    month = serializers.DateField(input_formats=["%Y-%m", "%Y-%m-%d"]).to_internal_value(
                        params["month"])
                except serializers.ValidationError as exc:
                    raise serializers.ValidationError({"month": exc.detail}) from None
                qs = qs.filter(month=month.replace(day=1))
        return qs

    def get_serializer_class(self):
        if self.action == "lines":
            return s.PaymentLineSerializer
        return s.PaymentRollSerializer

    def retrieve(self, request, *args, **kwargs):
        roll = self.get_object()
        roll.village_totals = selectors.roll_village_totals(roll)
        return Response(s.PaymentRollSerializer(roll).data)

    @extend_schema(request=s.PaymentRollCreateSerializer, responses={202: JobSerializer})
    def create(self, request):
        """Generate (or regenerate a draft) as a job: 202 with the job at once; GET /api/v1/jobs/{id}/ shows
        its progress, then `/api/v1/payment-rolls/?county=&month=` (or the job page) gives the roll."""
        data = _valid(s.PaymentRollCreateSerializer, request.data)
        county = access_division_by_code(request.user, data["county"])
        job = services.payment_roll_start(actor=request.user, county=county, month=data["month"])
        response = Response(JobSerializer(job).data, status=status.HTTP_202_ACCEPTED)
        response["Location"] = reverse("api-job", args=[job.pk])
        return response

    @extend_schema(responses=s.PaymentLineSerializer(many=True),
                   parameters=[OpenApiParameter("village", str, description="village code")])
    @action(detail=True, methods=["get"])
    def lines(self, request, pk=None):
        roll = self.get_object()
        qs = selectors.roll_lines(roll)
        if request.query_params.get("village"):
            qs = qs.filter(village_code=request.query_params["village"])
        page = self.paginate_queryset(qs)
        return self.get_paginated_response(s.PaymentLineSerializer(page, many=True).data)

    @extend_schema(parameters=[OpenApiParameter("format", str, enum=["csv", "xlsx"], required=True)],
                   responses={(200, "text/csv"): OpenApiResponse(OpenApiTypes.BINARY),
                              (200, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"):
                                  OpenApiResponse(OpenApiTypes.BINARY)})
    @action(detail=True, methods=["get"], content_negotiation_class=FileFormatNegotiation)
    def export(self, request, pk=None):
        roll = self.get_object()
        fmt = request.query_params.get("format", "")
        if fmt not in ("csv", "xlsx"):
            raise serializers.ValidationError({"format": [_("Choose csv or xlsx.")]})
        return export_response(request.user, roll, fmt)

    @extend_schema(request=s.RollVersionSerializer, responses={200: s.PaymentRollSerializer})
    @action(detail=True, methods=["post"])
    def review(self, request, pk=None):
        roll = self.get_object()
        data = _valid(s.RollVersionSerializer, request.data)
        roll = services.payment_roll_review(actor=request.user, roll=roll, version=data.get("version"))
        return Response(s.PaymentRollSerializer(roll).data)

    @extend_schema(request=s.RollVersionSerializer, responses={200: s.PaymentRollSerializer})
    @action(detail=True, methods=["post"])
    def finalise(self, request, pk=None):
        roll = self.get_object()
        data = _valid(s.RollVersionSerializer, request.data)
        roll = services.payment_roll_finalise(actor=request.user, roll=roll, version=data.get("version"))
        return Response(s.PaymentRollSerializer(roll).data)

