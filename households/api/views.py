from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import mixins, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import Throttled, ValidationError
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response

from accounts.api.permissions import role_required
from accounts.models import Role
from audit.services import record_access
from dibao.api import RevealThrottle
from dibao.errors import InvalidInput, NotPermitted
from households import selectors, services
from households.api.serializers import (
    HouseholdListSerializer,
    HouseholdSerializer,
    IdSearchSerializer,
    RevealedSerializer,
    RevealSerializer,
    StandardSerializer,
)
from households.idnumber import normalize
from households.models import Household, Standard


def _bool(value):
    if value in (None, ""):
        return None
    return str(value).lower() in ("1", "true", "yes")


def _write_data(validated: dict) -> dict:
    data = {k: v for k, v in validated.items() if k not in ("village", "version")}
    for key in ("members", "incomes", "assets"):
        if key in data:
            rows = []
            for row in data[key]:
                row = dict(row)
                if "member_id" in row:
                    row["member"] = row.pop("member_id")
                rows.append(row)
            data[key] = rows
    return data


@extend_schema_view(
    list=extend_schema(parameters=[
        OpenApiParameter("q", OpenApiTypes.STR, description=(
            "Name prefix (head or member), part of the address or phone number, a name with the last six "
            "characters of an ID number (\"张三 12345X\"), or a full ID number")),
        OpenApiParameter("division", OpenApiTypes.STR, description="Division code of any level"),
        OpenApiParameter("has_active_case", OpenApiTypes.BOOL),
    ]),
)
class HouseholdViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin,
                       mixins.UpdateModelMixin, viewsets.GenericViewSet):
    queryset = Household.objects.none()
    permission_classes = [IsAuthenticated]
    http_method_names = ["get", "post", "patch", "head", "options"]

    def get_serializer_class(self):
        return HouseholdListSerializer if self.action in ("list", "search") else HouseholdSerializer

    def get_throttles(self):
        return [RevealThrottle()] if self.action == "reveal" else super().get_throttles()

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Household.objects.none()
        if self.action == "list":
            p = self.request.query_params
            if selectors.looks_like_id_number(p.get("q", "")):
                # An ID number never travels in a URL (proxy and server logs keep URLs): POST .../search/.
                raise ValidationError({"q": [_("Search by ID number with POST /api/v1/households/search/.")]})
            return selectors.household_list(self.request.user, q=p.get("q", ""), division=p.get("division", ""),
                                            has_active_case=_bool(p.get("has_active_case")))
        return selectors.household_detail_queryset(self.request.user)

    def get_object(self):
        return selectors.household_detail(self.request.user, self.kwargs["pk"])

    def _detail(self, household, status=200):
        # Masked ID numbers and bank account: the full values only through reveal().
        return Response(HouseholdSerializer(household).data, status=status)

    def retrieve(self, request, *args, **kwargs):
        return self._detail(self.get_object())

    @extend_schema(request=IdSearchSerializer, responses=HouseholdListSerializer(many=True))
    @action(detail=False, methods=["post"])
    def search(self, request):
        """Households with a member of this ID number (in a POST body, never a URL); logged by its blind index."""
        serializer = IdSearchSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        number = normalize(serializer.validated_data["id_number"])
        if not selectors.looks_like_id_number(number):
            raise ValidationError({"id_number": [_("Enter an 18-character resident ID number.")]})
        qs = selectors.household_list(request.user, q=number)
        record_access(user=request.user, action="household.search_id_number",
                      detail={"id_hash": selectors.id_number_blind_index(number)})
        page = self.paginate_queryset(qs)
        return self.get_paginated_response(HouseholdListSerializer(page, many=True).data)

    @extend_schema(request=RevealSerializer, responses=RevealedSerializer)
    @action(detail=True, methods=["post"])
    def reveal(self, request, pk=None):
        """The full ID numbers and bank account, for a purpose from the list and a note: access-logged,
        at most REVEAL_RATE per user (429 beyond)."""
        household = self.get_object()
        serializer = RevealSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        record_access(user=request.user, action="household.reveal", obj=household,
                      division_code=household.division_code,
                      detail={"purpose": data["purpose"], "note": data["note"], "fields": ["id_number", "bank_account"]})
        members = [{"id": m.pk, "name": m.name, "id_number": m.person.id_number}
                   for m in household.members.all() if m.is_active]
        return Response(RevealedSerializer({"members": members, "bank_account": household.bank_account}).data)

    def _refusal_guard(self, call):
        """A refusal that a person is active in another household is audited and throttled per user: past
        the limit the answer is 429, so ID numbers cannot be probed across the country."""
        try:
            return call()
        except InvalidInput as exc:
            if exc.code == "active_elsewhere" and not services.active_elsewhere_refusal_noted(
                    actor=self.request.user, error=exc):
                raise Throttled() from exc
            raise

    def _check_writer(self):
        if not self.request.user.has_role(Role.VILLAGE_STAFF, Role.TOWNSHIP_STAFF, Role.COUNTY_OFFICER):
            raise NotPermitted()

    def create(self, request, *args, **kwargs):
        self._check_writer()
        serializer = HouseholdSerializer(data=request.data, context={"request": request})
        serializer.is_valid(raise_exception=True)
        household = self._refusal_guard(lambda: services.household_create(
            actor=request.user, village=serializer.validated_data["village"],
            data=_write_data(serializer.validated_data)))
        return self._detail(selectors.household_detail(request.user, household.pk), status=201)

    def partial_update(self, request, *args, **kwargs):
        self._check_writer()
        household = self.get_object()
        serializer = HouseholdSerializer(household, data=request.data, partial=True, context={"request": request})
        serializer.is_valid(raise_exception=True)
        if "version" not in serializer.validated_data:
            raise ValidationError({"version": [_("Send the version you read.")]})
        if "village" in serializer.validated_data and serializer.validated_data["village"] != household.village:
            raise ValidationError({"village": [_("A household cannot move to another village here.")]})
        self._refusal_guard(lambda: services.household_update(
            actor=request.user, household=household, version=serializer.validated_data["version"],
            data=_write_data(serializer.validated_data)))
        return self._detail(selectors.household_detail(request.user, household.pk))

    def update(self, request, *args, **kwargs):
        return self.partial_update(request, *args, **kwargs)


class StandardViewSet(mixins.ListModelMixin, mixins.CreateModelMixin, viewsets.GenericViewSet):
    queryset = Standard.objects.none()
    serializer_class = StandardSerializer
    # Reads for every role; writes refused before validation for roles that may not set standards.
    permission_classes = [IsAuthenticated, role_required(Role.COUNTY_OFFICER, safe_roles=tuple(Role.values))]

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Standard.objects.none()
        return selectors.standards_visible(self.request.user)

    def perform_create(self, serializer):
        d = serializer.validated_data
        serializer.instance = services.standard_create(actor=self.request.user, county=d["county"],
                                                       monthly_amount=d["monthly_amount"],
                                                       effective_from=d["effective_from"])
