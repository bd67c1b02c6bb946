from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response

from accounts.scoping import require_role
from cases import services, workflow
from cases.api import schema as _schema  # noqa: F401 - registers the schema corrections
from cases.api import serializers as s
from cases.api.filters import CaseFilter
from cases.figures import benefit_for_case
from cases.models import ACCEPTED_PENDING_STATES, Case
from cases.selectors import access_case_by_id, case_detail, case_events, case_list, mark_deadlines


def detail_context(request, case: Case) -> dict:
    benefit = None
    if case.status in ACCEPTED_PENDING_STATES:
        result, inputs = benefit_for_case(case, workflow.today(), strict=False)
        if result is not None:
            benefit = {"amount": str(result.amount), "eligible": result.eligible, "inputs": inputs}
    return {"request": request, "benefit": benefit, "events": list(case_events(case)),
            "allowed_actions": [t.action for t in workflow.allowed_actions(case, request.user)]}


class CaseViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    filter_backends = [DjangoFilterBackend]
    filterset_class = CaseFilter
    queryset = Case.objects.none()

    def get_queryset(self):
        return case_list(self.request.user)

    def get_serializer_class(self):
        return s.CaseDetailSerializer if self.action == "retrieve" else s.CaseListSerializer

    def list(self, request, *args, **kwargs):
        queryset = self.filter_queryset(self.get_queryset())
        page = self.paginate_queryset(queryset)
        mark_deadlines(page)
        return self.get_paginated_response(s.CaseListSerializer(page, many=True).data)

    def _detail(self, request, pk, code=status.HTTP_200_OK):
        case = case_detail(request.user, pk)
        mark_deadlines([case])
        return Response(s.CaseDetailSerializer(case, context=detail_context(request, case)).data, status=code)

    @extend_schema(responses=s.CaseDetailSerializer)
    def retrieve(self, request, pk=None):
        return self._detail(request, pk)

    @extend_schema(request=s.CaseWriteSerializer, responses={201: s.CaseDetailSerializer})
    def create(self, request):
        require_role(request.user, *services.ENTRY_ROLES)  # a role that never enters applications: 403 first
        data = self._valid(s.CaseWriteSerializer, request)
        case = services.case_create(actor=request.user, **data)
        return self._detail(request, case.pk, status.HTTP_201_CREATED)

    @extend_schema(request=s.CaseUpdateSerializer, responses=s.CaseDetailSerializer)
    def partial_update(self, request, pk=None):
        case = case_detail(request.user, pk)
        require_role(request.user, *services.ENTRY_ROLES)
        data = self._valid(s.CaseUpdateSerializer, request, partial=True)
        if "version" not in data:  # a partial body skips required fields: every write names the version read
            raise ValidationError({"version": [s.VERSION_MISSING]})
        services.case_update(actor=request.user, case=case, **data)
        return self._detail(request, pk)

    def _valid(self, serializer_class, request, partial=False, case=None) -> dict:
        serializer = serializer_class(data=request.data, partial=partial, context={"request": request, "case": case})
        serializer.is_valid(raise_exception=True)
        return dict(serializer.validated_data)

    def _transition(self, request, pk, name, serializer_class=s.VersionSerializer):
        # Out of scope is 404 and a role the transition does not allow is 403, before the body is read.
        # Only the scope is looked at here: the transition reads the case under its row lock, and
        # the answer reads it as it is after the transition. workflow.run is one transaction.
        case = access_case_by_id(request.user, pk)
        require_role(request.user, *workflow.TRANSITIONS[name].roles)
        data = self._valid(serializer_class, request, case=case)
        workflow.run(name, actor=request.user, case=case.pk, **data)
        return self._detail(request, pk)

    @extend_schema(request=s.VersionSerializer, responses=s.CaseDetailSerializer)
    @action(detail=True, methods=["post"])
    def submit(self, request, pk=None):
        return self._transition(request, pk, "submit")

    @extend_schema(request=s.ReasonsSerializer, responses=s.CaseDetailSerializer)
    @action(detail=True, methods=["post"], url_path="return")
    def return_(self, request, pk=None):
        return self._transition(request, pk, "return", s.ReasonsSerializer)

    @extend_schema(request=s.VersionSerializer, responses=s.CaseDetailSerializer)
    @action(detail=True, methods=["post"])
    def accept(self, request, pk=None):
        return self._transition(request, pk, "accept")

    @extend_schema(request=s.ReasonSerializer, responses=s.CaseDetailSerializer)
    @action(detail=True, methods=["post"])
    def extend(self, request, pk=None):
        return self._transition(request, pk, "extend", s.ReasonSerializer)

    @extend_schema(request=s.VisitInputSerializer, responses=s.CaseDetailSerializer)
    @action(detail=True, methods=["post"])
    def visits(self, request, pk=None):
        return self._transition(request, pk, "visits", s.VisitInputSerializer)

    @extend_schema(request=s.VersionSerializer, responses=s.CaseDetailSerializer)
    @action(detail=True, methods=["post"], url_path="open-notice")
    def open_notice(self, request, pk=None):
        return self._transition(request, pk, "open_notice")

    @extend_schema(request=s.ObjectionInputSerializer, responses=s.CaseDetailSerializer)
    @action(detail=True, methods=["post"])
    def objections(self, request, pk=None):
        return self._transition(request, pk, "objection", s.ObjectionInputSerializer)

    @extend_schema(request=s.ReasonSerializer, responses=s.CaseDetailSerializer)
    @action(detail=True, methods=["post"])
    def reinvestigate(self, request, pk=None):
        return self._transition(request, pk, "reinvestigate", s.ReasonSerializer)

    @extend_schema(request=s.VersionSerializer, responses=s.CaseDetailSerializer)
    @action(detail=True, methods=["post"], url_path="end-notice")
    def end_notice(self, request, pk=None):
        return self._transition(request, pk, "end_notice")

    @extend_schema(request=s.ApproveSerializer, responses=s.CaseDetailSerializer)
    @action(detail=True, methods=["post"])
    def approve(self, request, pk=None):
        return self._transition(request, pk, "approve", s.ApproveSerializer)

    @extend_schema(request=s.VersionSerializer, responses=s.CaseDetailSerializer)
    @action(detail=True, methods=["post"], url_path="confirm-amount")
    def confirm_amount(self, request, pk=None):
        return self._transition(request, pk, "confirm_amount")

    @extend_schema(request=s.ReasonSerializer, responses=s.CaseDetailSerializer)
    @action(detail=True, methods=["post"])
    def reject(self, request, pk=None):
        return self._transition(request, pk, "reject", s.ReasonSerializer)

    @extend_schema(request=s.ReasonSerializer, responses=s.CaseDetailSerializer)
    @action(detail=True, methods=["post"])
    def withdraw(self, request, pk=None):
        return self._transition(request, pk, "withdraw", s.ReasonSerializer)

    @extend_schema(request=s.ExitSerializer, responses=s.CaseDetailSerializer)
    @action(detail=True, methods=["post"])
    def exit(self, request, pk=None):
        return self._transition(request, pk, "exit", s.ExitSerializer)
