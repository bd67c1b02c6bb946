from datetime import date

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from accounts.api.fields import ScopedPrimaryKeyRelatedField
from accounts.models import User
from accounts.selectors import users_serving
from audit.models import AuditEvent
from cases.models import Case, CaseStatus, Category, Decision, HomeVisit, Objection, PublicNotice
from cases.sweeps import notice_closes_on
from households.models import Household, Member


@extend_schema_field({"type": "string", "description": "one of: " + ", ".join(CaseStatus.values)})
class CaseStatusField(serializers.CharField):
    """A plain string in the schema: an enum component named "Status" would collide with other apps'."""


class CaseListSerializer(serializers.ModelSerializer):
    status = CaseStatusField(read_only=True)
    household_head = serializers.CharField(source="household.head_name", read_only=True)
    village = serializers.CharField(source="household.village.name", read_only=True)
    status_display = serializers.CharField(source="get_status_display", read_only=True)
    deadline_flag = serializers.SerializerMethodField(help_text="overdue | near | (empty)")

    class Meta:
        model = Case
        fields = ["id", "household", "household_head", "village", "division_code", "status", "status_display",
                  "category", "staff_relative", "monthly_amount", "first_payment_month", "deadline",
                  "step_deadline", "step_name", "deadline_uncertain", "deadline_flag", "version", "created_at"]

    def get_deadline_flag(self, case) -> str:
        return getattr(case, "deadline_flag", "")


class VisitSerializer(serializers.ModelSerializer):
    investigators = serializers.SerializerMethodField()

    class Meta:
        model = HomeVisit
        fields = ["id", "round", "number", "visit_date", "investigators", "investigator_names", "findings",
                  "declared_monthly_income", "verified_monthly_income", "declared_financial_assets",
                  "verified_financial_assets", "applicant_signed", "created_at"]

    def get_investigators(self, visit) -> list[str]:
        return [u.username for u in visit.investigators.all()]


class ObjectionSerializer(serializers.ModelSerializer):
    class Meta:
        model = Objection
        fields = ["id", "received_on", "raised_by", "content"]


class NoticeSerializer(serializers.ModelSerializer):
    objections = ObjectionSerializer(many=True, read_only=True)
    closes_automatically_on = serializers.SerializerMethodField(
        help_text=_("While the notice is open: the day the nightly sweep closes it (the day after ends_on); "
                    "null once closed. Reading the case never closes it."))

    class Meta:
        model = PublicNotice
        fields = ["id", "starts_on", "ends_on", "days", "applicant_name", "household_size", "proposed_amount",
                  "outcome", "closes_automatically_on", "objections"]

    def get_closes_automatically_on(self, notice) -> date | None:
        return notice_closes_on(notice)


class DecisionSerializer(serializers.ModelSerializer):
    decided_by = serializers.CharField(source="decided_by.username", read_only=True)
    confirmed_by = serializers.CharField(source="confirmed_by.username", read_only=True, default=None,
                                         allow_null=True)

    class Meta:
        model = Decision
        fields = ["id", "outcome", "category", "calculated_amount", "monthly_amount", "override_reason",
                  "override_reason_kind", "first_payment_month", "reason", "inputs", "decided_by", "decided_on",
                  "confirmation", "confirmed_by", "confirmed_at"]


class EventSerializer(serializers.ModelSerializer):
    class Meta:
        model = AuditEvent
        fields = ["id", "created_at", "actor_username", "action", "before", "after"]


class CaseDetailSerializer(CaseListSerializer):
    applicant_name = serializers.CharField(source="applicant.name", read_only=True, default=None, allow_null=True)
    entered_by = serializers.CharField(source="entered_by.username", read_only=True)
    deadlines = serializers.SerializerMethodField()
    visits = VisitSerializer(many=True, read_only=True)
    notices = NoticeSerializer(many=True, read_only=True)
    decision = serializers.SerializerMethodField()
    benefit = serializers.SerializerMethodField()
    events = serializers.SerializerMethodField()
    allowed_actions = serializers.SerializerMethodField()
    awaiting_second_approval = serializers.SerializerMethodField(
        help_text=_("An approval waits for a second county officer's confirmation (confirm-amount); until then "
                    "the case is not active and no payment roll includes it."))

    class Meta(CaseListSerializer.Meta):
        fields = CaseListSerializer.Meta.fields + [
            "applicant", "applicant_name", "reason", "authorisation_signed", "authorisation_date",
            "staff_relative_relation", "staff_relative_to", "individual_member", "return_reasons",
            "investigation_round", "entered_by", "accepted_on", "deadlines", "visits", "notices", "decision",
            "benefit", "events", "allowed_actions", "awaiting_second_approval"]

    def get_deadlines(self, case) -> dict:
        return {"deadline": case.deadline, "extended": case.deadline_extended,
                "extension_reason": case.extension_reason, "step_deadline": case.step_deadline,
                "step": case.step_name, "uncertain": case.deadline_uncertain,
                "flag": getattr(case, "deadline_flag", "")}

    def get_decision(self, case) -> dict | None:
        decisions = list(case.decisions.all())
        return DecisionSerializer(decisions[0]).data if decisions else None

    def get_awaiting_second_approval(self, case) -> bool:
        decisions = list(case.decisions.all())
        return bool(case.status == CaseStatus.AWAITING_DECISION and decisions
                    and decisions[0].confirmation == Decision.Confirmation.PENDING)

    def get_benefit(self, case) -> dict | None:
        return self.context.get("benefit")

    def get_events(self, case) -> list[dict]:
        return EventSerializer(self.context.get("events", []), many=True).data

    def get_allowed_actions(self, case) -> list[str]:
        return self.context.get("allowed_actions", [])


class CaseWriteSerializer(serializers.Serializer):
    household = ScopedPrimaryKeyRelatedField(queryset=Household.objects.all())
    applicant = ScopedPrimaryKeyRelatedField(queryset=Member.objects.all(), required=False, allow_null=True)
    reason = serializers.CharField(required=False, allow_blank=True)
    authorisation_signed = serializers.BooleanField(required=False)
    authorisation_date = serializers.DateField(required=False, allow_null=True)
    staff_relative = serializers.BooleanField(required=False)
    staff_relative_relation = serializers.CharField(required=False, allow_blank=True, max_length=100)
    staff_relative_to = serializers.CharField(required=False, allow_blank=True, max_length=100)
    individual_member = ScopedPrimaryKeyRelatedField(queryset=Member.objects.all(), required=False,
                                                     allow_null=True)


VERSION_HELP = _("The version you read; 409 if stale.")
VERSION_MISSING = _("Send the version you read.")


class CaseUpdateSerializer(CaseWriteSerializer):
    household = None
    # Required even in a PATCH (the view checks it: DRF skips required fields of a partial body).
    version = serializers.IntegerField(help_text=VERSION_HELP, error_messages={"required": VERSION_MISSING})


class VersionSerializer(serializers.Serializer):
    version = serializers.IntegerField(help_text=VERSION_HELP, error_messages={"required": VERSION_MISSING})


class ReasonsSerializer(VersionSerializer):
    reasons = serializers.CharField()


class ReasonSerializer(VersionSerializer):
    reason = serializers.CharField()


class VisitInputSerializer(VersionSerializer):
    number = serializers.ChoiceField(choices=[1, 2])
    visit_date = serializers.DateField()
    investigators = serializers.PrimaryKeyRelatedField(queryset=User.objects.none(), many=True, required=False)
    investigator_names = serializers.ListField(child=serializers.CharField(max_length=50), required=False)
    findings = serializers.CharField()
    verified_monthly_income = serializers.DecimalField(max_digits=12, decimal_places=2, min_value=0,
                                                       required=False, allow_null=True)
    verified_financial_assets = serializers.DecimalField(max_digits=12, decimal_places=2, min_value=0,
                                                         required=False, allow_null=True)
    applicant_signed = serializers.BooleanField(required=False, default=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Only staff serving the case's village can be named: any other user id "does not exist", so the
        # answer never names a user of another area.
        case = self.context.get("case")
        self.fields["investigators"].child_relation.queryset = (
            users_serving(case.division_code) if case is not None else User.objects.none())


class ObjectionInputSerializer(VersionSerializer):
    content = serializers.CharField()
    raised_by = serializers.CharField(required=False, allow_blank=True, max_length=100)
    received_on = serializers.DateField(required=False)


class ExitSerializer(ReasonSerializer):
    kind = serializers.CharField(
        max_length=30, required=False, default="death",
        help_text=_("death, moved_away, fraud, refused_work, income_far_above, or income_above_line "
                    "(gradual exit)."))
    effective_month = serializers.DateField(required=False, allow_null=True,
                                            help_text=_("First month not paid; default the next month."))
    amount_to_recover = serializers.DecimalField(max_digits=12, decimal_places=2, required=False, allow_null=True,
                                                 help_text=_("Fraud exits only."))


class ApproveSerializer(VersionSerializer):
    category = serializers.ChoiceField(choices=Category.choices)
    first_payment_month = serializers.DateField(required=False, help_text=_("Any day of the month; YYYY-MM-01."))
    override_amount = serializers.DecimalField(max_digits=12, decimal_places=2, required=False, allow_null=True)
    override_reason = serializers.CharField(
        required=False, allow_blank=True,
        help_text=_("Above the calculated amount or the county's threshold: at least 10 characters, with "
                    "override_reason_kind; a second county officer then confirms (confirm-amount)."))
    override_reason_kind = serializers.ChoiceField(choices=Decision.ReasonKind.choices, required=False,
                                                   allow_blank=True)
    findings_override_reason = serializers.CharField(
        required=False, allow_blank=True,
        help_text=_("Needed to approve while an open DOUBLE_DIBAO finding concerns the household."))
