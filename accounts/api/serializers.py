from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from accounts.models import Division, Role, User


class DivisionBriefSerializer(serializers.ModelSerializer):
    class Meta:
        model = Division
        fields = ["code", "name", "level"]


class DivisionSerializer(serializers.ModelSerializer):
    parent = serializers.SlugRelatedField(slug_field="code", queryset=Division.objects.all(),
                                          required=False, allow_null=True)

    class Meta:
        model = Division
        fields = ["code", "name", "level", "parent", "population"]
        extra_kwargs = {"code": {"validators": []}}


class MeSerializer(serializers.ModelSerializer):
    division = DivisionBriefSerializer(read_only=True, allow_null=True)

    class Meta:
        model = User
        fields = ["username", "role", "division", "first_name", "last_name"]


class UserSerializer(serializers.ModelSerializer):
    division = serializers.SlugRelatedField(slug_field="code", queryset=Division.objects.all(),
                                            required=False, allow_null=True)
    password = serializers.CharField(write_only=True, style={"input_type": "password"})
    role = serializers.ChoiceField(choices=Role.choices)

    class Meta:
        model = User
        fields = ["id", "username", "password", "role", "division", "first_name", "last_name", "email", "is_active"]
        read_only_fields = ["id", "is_active"]
        extra_kwargs = {"username": {"validators": []}}

    def validate_username(self, value):
        if User.objects.filter(username=value).exists():
            raise serializers.ValidationError(_("This username is taken."))
        return value


class UserRoleSerializer(serializers.Serializer):
    role = serializers.ChoiceField(choices=Role.choices)
    division = serializers.SlugRelatedField(slug_field="code", queryset=Division.objects.all(),
                                            required=False, allow_null=True)


class UserActiveSerializer(serializers.Serializer):
    is_active = serializers.BooleanField()


class UserPasswordSerializer(serializers.Serializer):
    password = serializers.CharField(write_only=True, max_length=4096, trim_whitespace=False,
                                     style={"input_type": "password"})
