from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts import services
from accounts.api.permissions import role_required
from accounts.api.serializers import (
    DivisionSerializer,
    MeSerializer,
    UserActiveSerializer,
    UserPasswordSerializer,
    UserRoleSerializer,
    UserSerializer,
)
from accounts.models import Division, Role, User
from accounts.scoping import require_role
from accounts.selectors import divisions_visible, users_visible
from accounts.tokens import tokens_revoke_all
from dibao.errors import NotPermitted


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
    # The system administrator creates accounts; the security administrator changes roles, resets
    # passwords and ends tokens (三员分立: accounts/services.py says who may do what).
    permission_classes = [IsAuthenticated, role_required(Role.ADMIN, Role.SECURITY_ADMIN)]

    def get_queryset(self):
        return users_visible(self.request.user)

    def create(self, request, *args, **kwargs):
        require_role(request.user, Role.ADMIN)  # the system administrator creates accounts, before validation
        return super().create(request, *args, **kwargs)

    def perform_create(self, serializer):
        require_role(self.request.user, Role.ADMIN)
        data = serializer.validated_data
        serializer.instance = services.user_create(
            actor=self.request.user, username=data["username"], password=data["password"],
            role=data["role"], division=data.get("division"), first_name=data.get("first_name", ""),
            last_name=data.get("last_name", ""), email=data.get("email", ""),
        )

    def _target(self, *, security_only: bool = False):
        # Who may is decided before the body is read: a refused role gets 403 whatever it sent.
        if security_only and self.request.user.role != Role.SECURITY_ADMIN:
            raise NotPermitted(_("Only the security administrator may do this."))
        return self.get_object()

    @extend_schema(request=UserRoleSerializer, responses=UserSerializer)
    @action(detail=True, methods=["post"])
    def role(self, request, pk=None):
        target = self._target(security_only=True)
        serializer = UserRoleSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        user = services.user_set_role(actor=request.user, user=target, role=serializer.validated_data["role"],
                                      division=serializer.validated_data.get("division"))
        return Response(UserSerializer(user).data)

    @extend_schema(request=UserActiveSerializer, responses=UserSerializer)
    @action(detail=True, methods=["post"])
    def active(self, request, pk=None):
        target = self._target()
        serializer = UserActiveSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        user = services.user_set_active(actor=request.user, user=target,
                                        active=serializer.validated_data["is_active"])
        return Response(UserSerializer(user).data)

    @extend_schema(request=UserPasswordSerializer, responses={204: None})
    @action(detail=True, methods=["post"])
    def password(self, request, pk=None):
        target = self._target(security_only=True)
        serializer = UserPasswordSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        services.user_set_password(actor=request.user, user=target, password=serializer.validated_data["password"])
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(request=None, responses={200: {"type": "object", "properties": {"revoked": {"type": "integer"}}}})
    @action(detail=True, methods=["post"], url_path="revoke-tokens")
    def revoke_tokens(self, request, pk=None):
        target = self._target(security_only=True)
        return Response({"revoked": tokens_revoke_all(actor=request.user, owner=target, reason="security_admin")})
