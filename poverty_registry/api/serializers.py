from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from households.idnumber import mask
from poverty_registry.models import MonitoringType, RegistryHousehold, RegistryMember, RegistryStatus


class RegistryMemberSerializer(serializers.ModelSerializer):
    id_number = serializers.SerializerMethodField(help_text=_("Masked resident ID number."))

    class Meta:
        model = RegistryMember
        fields = ["id", "person", "name", "relationship", "is_head", "id_number"]

    def get_id_number(self, member) -> str:
        return mask(member.person.id_number)


class RegistrationSerializer(serializers.ModelSerializer):
    division = serializers.CharField(source="division_code", read_only=True)
    division_name = serializers.CharField(source="village.name", read_only=True)
    member_count = serializers.IntegerField(read_only=True)

    class Meta:
        model = RegistryHousehold
        fields = ["id", "year", "registry_code", "division", "division_name", "status", "monitoring_type",
                  "lifted_year", "annual_income_per_capita", "member_count", "import_job", "updated_at"]


class RegistrationDetailSerializer(RegistrationSerializer):
    members = RegistryMemberSerializer(many=True, read_only=True)
    member_count = serializers.SerializerMethodField()

    class Meta(RegistrationSerializer.Meta):
        fields = [*RegistrationSerializer.Meta.fields, "members"]

    def get_member_count(self, obj) -> int:
        return len(obj.members.all())


class MemberInputSerializer(serializers.Serializer):
    id_number = serializers.CharField(max_length=20)
    name = serializers.CharField(max_length=50)
    relationship = serializers.CharField(max_length=30, required=False, allow_blank=True, default="")
    is_head = serializers.BooleanField(default=False)


class RegistrationWriteSerializer(serializers.Serializer):
    year = serializers.IntegerField(min_value=2013, max_value=2100)
    registry_code = serializers.CharField(max_length=40)
    division = serializers.RegexField(r"^\d{12}$", help_text=_("12-digit village code."))
    status = serializers.ChoiceField(choices=RegistryStatus.choices)
    monitoring_type = serializers.ChoiceField(choices=MonitoringType.choices, required=False, allow_blank=True,
                                              default="")
    lifted_year = serializers.IntegerField(min_value=2013, max_value=2100, required=False, allow_null=True,
                                           default=None)
    annual_income_per_capita = serializers.DecimalField(max_digits=12, decimal_places=2, min_value=0)
    members = MemberInputSerializer(many=True, allow_empty=False)


class RegistrationPatchSerializer(serializers.Serializer):
    division = serializers.RegexField(r"^\d{12}$", required=False)
    status = serializers.ChoiceField(choices=RegistryStatus.choices, required=False)
    monitoring_type = serializers.ChoiceField(choices=MonitoringType.choices, required=False, allow_blank=True)
    lifted_year = serializers.IntegerField(min_value=2013, max_value=2100, required=False, allow_null=True)
    annual_income_per_capita = serializers.DecimalField(max_digits=12, decimal_places=2, min_value=0, required=False)
    members = MemberInputSerializer(many=True, allow_empty=False, required=False)


class ImportUploadSerializer(serializers.Serializer):
    file = serializers.FileField(help_text=_("CSV (UTF-8, UTF-8 with BOM or GBK) or XLSX, header row required."))
    year = serializers.IntegerField(required=False, min_value=2013, max_value=2100,
                                    help_text=_("If given, every row must be of this year."))


class ImportJobSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    status = serializers.CharField()
    url = serializers.CharField(help_text=_("Poll this for progress."))
    page = serializers.CharField(help_text=_("The page that shows the progress."))
    removals = serializers.CharField(help_text=_("Members the file no longer lists, to confirm before they are removed."))


class RemovalSerializer(serializers.Serializer):
    name = serializers.CharField(help_text=_("Masked name."))
    household = serializers.CharField(help_text=_("Registry household code."))
    year = serializers.IntegerField()
    village = serializers.CharField()
    village_code = serializers.CharField()


class ImportRemovalsSerializer(serializers.Serializer):
    job = serializers.IntegerField()
    state = serializers.ChoiceField(choices=["none", "pending", "applied"])
    count = serializers.IntegerField(help_text=_("Members the file no longer lists."))
    removed = serializers.IntegerField(required=False)
    confirmed_by = serializers.CharField(required=False)
    confirmed_at = serializers.CharField(required=False)
    members = RemovalSerializer(many=True)
    confirm = serializers.CharField(help_text=_("POST here to remove them."))
