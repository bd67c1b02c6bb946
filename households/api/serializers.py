from rest_framework import serializers

from accounts.api.fields import ScopedSlugRelatedField
from accounts.models import Division
from audit.disclosure import NOTE_MAX_LENGTH, NOTE_MIN_LENGTH, purpose_choices
from households.models import Asset, Household, IncomeItem, Member, Standard


class MemberSerializer(serializers.ModelSerializer):
    id = serializers.IntegerField(required=False)
    id_number = serializers.CharField(write_only=True, required=False, max_length=30,
                                      help_text="Full resident ID number (write only; read: id_number_masked).")
    id_number_masked = serializers.SerializerMethodField()
    age_group = serializers.SerializerMethodField()

    class Meta:
        model = Member
        fields = ["id", "id_number", "id_number_masked", "name", "relationship", "sex", "birth_date", "age_group",
                  "labour_capacity", "health", "disability_grade", "disability_type", "student_level",
                  "counted", "not_counted_reason", "not_counted_note", "is_active"]
        read_only_fields = ["sex", "birth_date", "is_active"]
        extra_kwargs = {f: {"validators": []} for f in ["name"]}

    def get_id_number_masked(self, obj) -> str:
        return obj.person.masked_id

    def get_age_group(self, obj) -> str:
        return ""


class RevealSerializer(serializers.Serializer):
    """Why the full ID numbers and bank account are needed: a purpose from the list and a note."""

    purpose = serializers.ChoiceField(choices=purpose_choices())
    note = serializers.CharField(max_length=NOTE_MAX_LENGTH, min_length=NOTE_MIN_LENGTH)


class RevealedMemberSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    id_number = serializers.CharField()


class RevealedSerializer(serializers.Serializer):
    members = RevealedMemberSerializer(many=True)
    bank_account = serializers.CharField(allow_blank=True)


class IdSearchSerializer(serializers.Serializer):
    id_number = serializers.CharField(max_length=30)


class IncomeSerializer(serializers.ModelSerializer):
    id = serializers.IntegerField(required=False)
    member = serializers.IntegerField(source="member_id", required=False, allow_null=True)
    member_id_number = serializers.CharField(write_only=True, required=False, allow_blank=True)
    monthly_amount = serializers.DecimalField(max_digits=12, decimal_places=2)
    period_months = serializers.IntegerField(required=False, allow_null=True)

    class Meta:
        model = IncomeItem
        fields = ["id", "member", "member_id_number", "kind", "monthly_amount", "period_months", "counted",
                  "excluded_reason", "deductible_costs", "note"]


class AssetSerializer(serializers.ModelSerializer):
    id = serializers.IntegerField(required=False)

    class Meta:
        model = Asset
        fields = ["id", "kind", "vehicle_type", "value", "description"]


class HouseholdListSerializer(serializers.ModelSerializer):
    village = serializers.CharField(source="village.code", read_only=True)
    village_name = serializers.CharField(source="village.name", read_only=True)
    members = serializers.SerializerMethodField()
    has_active_case = serializers.BooleanField(source="has_paid_case", read_only=True)

    class Meta:
        model = Household
        fields = ["id", "village", "village_name", "address", "head_name", "size", "counted_members",
                  "per_capita_monthly_income", "has_active_case", "version", "members"]

    def get_members(self, obj) -> list[dict]:
        return [{"id": m.pk, "name": m.name, "relationship": m.relationship, "id_number_masked": m.person.masked_id}
                for m in getattr(obj, "active_members", [])]


class HouseholdSerializer(serializers.ModelSerializer):
    """Read shape of the detail; write shape of POST/PATCH (nested lists replace the current ones)."""

    village = ScopedSlugRelatedField(slug_field="code", queryset=Division.objects.filter(level="village"))
    village_name = serializers.CharField(source="village.name", read_only=True)
    members = MemberSerializer(many=True, required=False)
    incomes = IncomeSerializer(many=True, required=False)
    assets = AssetSerializer(many=True, required=False)
    version = serializers.IntegerField(required=False)
    has_active_case = serializers.BooleanField(source="has_paid_case", read_only=True)
    # Stored encrypted (Household properties); checked by households.services.
    contact_phone = serializers.CharField(max_length=20, required=False, allow_blank=True)
    bank_account = serializers.CharField(max_length=30, required=False, allow_blank=True)

    class Meta:
        model = Household
        fields = ["id", "village", "village_name", "address", "registration_type", "contact_phone", "bank_name",
                  "bank_account", "head_name", "version", "size", "counted_members", "elderly_count",
                  "minor_count", "disabled_count", "seriously_ill_count", "monthly_counted_income",
                  "per_capita_monthly_income", "has_active_case", "members", "incomes", "assets",
                  "created_at", "updated_at"]
        read_only_fields = ["head_name", "size", "counted_members", "elderly_count", "minor_count",
                            "disabled_count", "seriously_ill_count", "monthly_counted_income",
                            "per_capita_monthly_income", "created_at", "updated_at"]
        extra_kwargs = {"address": {"required": False}}

    def to_representation(self, instance):
        # Masked: the full ID numbers and bank account come from POST .../reveal/ with a purpose.
        data = super().to_representation(instance)
        data["bank_account"] = instance.masked_bank_account
        data["members"] = MemberSerializer([m for m in instance.members.all()], many=True).data
        return data


class StandardSerializer(serializers.ModelSerializer):
    county = serializers.SlugRelatedField(slug_field="code", queryset=Division.objects.filter(level="county"))

    class Meta:
        model = Standard
        fields = ["id", "county", "monthly_amount", "effective_from", "created_at"]
        read_only_fields = ["created_at"]
        validators = []
