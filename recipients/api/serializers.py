from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from cases.models import Decision
from recipients.models import (
    EXIT_KINDS_BY_HAND,
    PaymentLine,
    PaymentRoll,
    Review,
    ReviewOutcome,
    ReviewStatus,
    RollStatus,
)


def inline_enum(choices):
    """A read-only choice field documented with an inline enum: several apps have a field named
    "status" with different choices, and named enum components would collide."""

    @extend_schema_field({"type": "string", "enum": [value for value, _label in choices]})
    class InlineChoiceField(serializers.CharField):
        pass

    return InlineChoiceField(read_only=True)


class ReviewSerializer(serializers.ModelSerializer):
    household = serializers.IntegerField(source="case.household_id", read_only=True)
    household_head = serializers.CharField(source="case.household.head_name", read_only=True)
    village = serializers.CharField(source="case.household.village.name", read_only=True)
    category = serializers.CharField(source="case.category", read_only=True)
    monthly_amount = serializers.DecimalField(source="case.monthly_amount", max_digits=12, decimal_places=2,
                                              read_only=True)
    overdue = serializers.SerializerMethodField()
    status = inline_enum(ReviewStatus.choices)
    # Plain text here: the enum is documented once, on the complete request (cases has an "outcome" too).
    outcome = serializers.CharField(read_only=True, help_text="continue | adjust | exit (empty while due)")
    awaiting_second_approval = serializers.BooleanField(
        read_only=True, help_text="A higher amount waits for a second county officer (POST /{id}/confirm-amount/).")
    amount_reason_kind = serializers.CharField(read_only=True, help_text="the kind of reason for a higher amount")
    confirmation = serializers.CharField(read_only=True,
                                         help_text="'' (not needed) | pending | confirmed: the second approval")

    class Meta:
        model = Review
        fields = ["id", "case", "household", "household_head", "village", "division_code", "category",
                  "monthly_amount", "kind", "status", "due_date", "overdue", "reported_change", "findings",
                  "verified_per_capita_income", "outcome", "previous_amount", "new_amount", "calculation",
                  "awaiting_second_approval", "confirmation", "amount_reason_kind", "amount_reason",
                  "proposed_by", "confirmed_by", "confirmed_at", "completed_by", "completed_at", "version"]
        read_only_fields = fields

    def get_overdue(self, obj) -> bool:
        return obj.status == "due" and obj.due_date < self.context["today"]


class ReportChangeSerializer(serializers.Serializer):
    case = serializers.IntegerField()
    reported_change = serializers.CharField()


class ReviewCompleteSerializer(serializers.Serializer):
    outcome = serializers.ChoiceField(choices=ReviewOutcome.choices)
    findings = serializers.CharField(required=False, allow_blank=True, default="")
    verified_per_capita_income = serializers.DecimalField(max_digits=12, decimal_places=2, min_value=0,
                                                          required=False, allow_null=True)
    exit_kind = serializers.ChoiceField(choices=EXIT_KINDS_BY_HAND, required=False, allow_blank=True, default="")
    exit_reason = serializers.CharField(required=False, allow_blank=True, default="")
    effective_month = serializers.DateField(required=False, allow_null=True,
                                            input_formats=["%Y-%m", "%Y-%m-%d"])
    amount_to_recover = serializers.DecimalField(max_digits=12, decimal_places=2, min_value=0, required=False,
                                                 allow_null=True)
    on_poverty_roster = serializers.BooleanField(required=False, allow_null=True, default=None)
    override_amount = serializers.DecimalField(max_digits=12, decimal_places=2, min_value=0, required=False,
                                               allow_null=True, help_text="adjust: an amount other than the "
                                               "calculation (needs override_reason)")
    override_reason_kind = serializers.ChoiceField(choices=Decision.ReasonKind.choices, required=False,
                                                   allow_blank=True, default="")
    override_reason = serializers.CharField(required=False, allow_blank=True, default="",
                                            help_text="A higher amount needs a kind and at least 10 characters.")
    version = serializers.IntegerField(required=False)

    def validate(self, attrs):
        if attrs["outcome"] == ReviewOutcome.EXIT and not attrs.get("exit_kind"):
            raise serializers.ValidationError({"exit_kind": [_("Choose the exit reason.")]})
        return attrs


class ReviewVersionSerializer(serializers.Serializer):
    version = serializers.IntegerField()


class VillageTotalSerializer(serializers.Serializer):
    village_code = serializers.CharField()
    village_name = serializers.CharField()
    households = serializers.IntegerField()
    total = serializers.DecimalField(max_digits=14, decimal_places=2)


class PaymentRollSerializer(serializers.ModelSerializer):
    county = serializers.CharField(source="county.code", read_only=True)
    county_name = serializers.CharField(source="county.name", read_only=True)
    # "YYYY-MM": a month, not a date (the schema said format date, which "2026-02" is not).
    month = serializers.SerializerMethodField()
    status = inline_enum(RollStatus.choices)
    village_totals = serializers.SerializerMethodField(
        help_text="Households and total per village; only on the detail (null in lists).")

    class Meta:
        model = PaymentRoll
        fields = ["id", "county", "county_name", "month", "status", "line_count", "total_amount",
                  "generated_by", "generated_at", "reviewed_by", "reviewed_at", "finalised_by", "finalised_at",
                  "version", "village_totals"]
        read_only_fields = fields

    def get_month(self, obj) -> str:
        return obj.month.strftime("%Y-%m")

    @extend_schema_field(VillageTotalSerializer(many=True, allow_null=True))
    def get_village_totals(self, obj):
        totals = getattr(obj, "village_totals", None)
        return None if totals is None else VillageTotalSerializer(totals, many=True).data


class PaymentRollCreateSerializer(serializers.Serializer):
    county = serializers.RegexField(r"^\d{12}$", error_messages={"invalid": _("A county code is 12 digits.")})
    month = serializers.DateField(input_formats=["%Y-%m", "%Y-%m-%d"])


class RollVersionSerializer(serializers.Serializer):
    version = serializers.IntegerField(required=False)


class PaymentLineSerializer(serializers.ModelSerializer):
    bank_account = serializers.CharField(read_only=True)  # stored encrypted; the roll pays to the full account

    class Meta:
        model = PaymentLine
        fields = ["id", "case", "household", "village_code", "village_name", "payee_name", "payee_id_masked",
                  "bank_name", "bank_account", "full_amount", "percent", "amount"]
        read_only_fields = fields
