from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, viewsets
from rest_framework.authtoken.serializers import AuthTokenSerializer
from rest_framework.authtoken.views import ObtainAuthToken
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts import services
from accounts.api.permissions import role_required
from accounts.api.serializers import DivisionSerializer, MeSerializer, UserSerializer
from accounts.models import Division, Role, User
from accounts.scoping import require_role
from accounts.selectors import divisions_visible, users_visible


class TokenSerializer(AuthTokenSerializer):
    # Bounded like User.username: an over-long name is a 400, never handed to the lockout's
    # 255-character attempt table (which answered 500).
    username = serializers.CharField(label=_("Username"), max_length=150, write_only=True)
    password = serializers.CharField(label=_("Password"), max_length=4096, style={"input_type": "password"},
                                     trim_whitespace=False, write_only=True)


class TokenView(ObtainAuthToken):
    """POST {username, password} -> {token}. Failed attempts count towards the lockout."""

    serializer_class = TokenSerializer

    @extend_schema(responses={200: {"type": "object", "properties": {"token": {"type": "string"}}}})
    def post(self, request, *args, **kwargs):
        return super().post(request, *args, **kwargs)


class MeView(APIView):
    @extend_schema(responses=MeSerializer)
    def get(self, request):
        return Response(MeSerializer(request.user).data)


class DivisionViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin,
                      viewsets.GenericViewSet):
    serializer_class = DivisionSerializer
    queryset = Division.objects.none()
    lookup_field = "code"
    lookup_value_regex = r"\d{12}"
    # Reads for every role (scoped below); writes for admins only, refused before validation.
    permission_classes = [IsAuthenticated, role_required(Role.ADMIN, safe_roles=tuple(Role.values))]

    def get_queryset(self):
        qs = divisions_visible(self.request.user)
        parent = self.request.query_params.get("parent")
        if parent:
            qs = qs.filter(parent__code=parent)
        level = self.request.query_params.get("level")
        if level:
            qs = qs.filter(level=level)
        return qs

    def perform_create(self, serializer):
        require_role(self.request.user, Role.ADMIN)
        data = serializer.validated_data
        if Division.objects.filter(code=data["code"]).exists():
            raise serializers.ValidationError({"code": [_("A division with this code exists.")]})
        serializer.instance = services.division_create(
            actor=self.request.user, code=data["code"], name=data["name"], level=data["level"],
            parent=data.get("parent"), population=data.get("population"),
        )


class UserViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin,
                  viewsets.GenericViewSet):
    serializer_class = UserSerializer

    queryset = User.objects.none()
    permission_classes = [IsAuthenticated, role_required(Role.ADMIN)]

    def get_queryset(self):
        return users_visible(self.request.user)

    def perform_create(self, serializer):
        require_role(self.request.user, Role.ADMIN)
        data = serializer.validated_data
        serializer.instance = services.user_create(
            actor=self.request.user, username=data["username"], password=data["password"],
            role=data["role"], division=data.get("division"), first_name=data.get("first_name", ""),
            last_name=data.get("last_name", ""), email=data.get("email", ""),
        )
