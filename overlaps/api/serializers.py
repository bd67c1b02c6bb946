from rest_framework import serializers

from overlaps.models import OUTCOME_CHOICES, OverlapFlag


class OverlapFlagSerializer(serializers.ModelSerializer):
    rule_title = serializers.SerializerMethodField()
    resolved_by = serializers.SlugRelatedField(slug_field="username", read_only=True, allow_null=True)

    class Meta:
        model = OverlapFlag
        fields = ["id", "rule", "rule_title", "severity", "subject_key", "details", "division_code", "status",
                  "first_seen_at", "last_seen_at", "closed_at", "resolved_by", "resolved_at", "resolution_note",
                  "version"]

    def get_rule_title(self, flag) -> str:
        return str(flag.get_rule_display())


class ResolveSerializer(serializers.Serializer):
    outcome = serializers.ChoiceField(choices=OUTCOME_CHOICES)
    note = serializers.CharField(max_length=4000)
    version = serializers.IntegerField(required=False, min_value=1)


class ScanRequestSerializer(serializers.Serializer):
    division = serializers.RegexField(r"^\d{12}$", required=False, allow_blank=True,
                                      help_text="A county code (12 digits); empty = your whole area.")


class ScanJobSerializer(serializers.Serializer):
    job = serializers.IntegerField()
    url = serializers.CharField()
