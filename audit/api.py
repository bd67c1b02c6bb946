import django_filters
from django.utils.translation import gettext_lazy as _
from rest_framework import serializers, viewsets
from rest_framework.permissions import IsAuthenticated

from accounts.api.permissions import role_required
from accounts.models import Role
from accounts.scoping import scope_queryset
from audit.models import AuditEvent


class AuditEventSerializer(serializers.ModelSerializer):
    class Meta:
        model = AuditEvent
        fields = ["id", "created_at", "actor_username", "action", "object_type", "object_id",
                  "division_code", "before", "after", "request_id", "ip"]


class AuditEventFilter(django_filters.FilterSet):
    actor = django_filters.CharFilter(field_name="actor_username")
    object_type = django_filters.CharFilter()
    object_id = django_filters.CharFilter()
    action = django_filters.CharFilter(lookup_expr="startswith")
    date_from = django_filters.DateFilter(field_name="created_at", lookup_expr="date__gte")
    date_to = django_filters.DateFilter(field_name="created_at", lookup_expr="date__lte")

    class Meta:
        model = AuditEvent
        fields = ["actor", "object_type", "object_id", "action", "date_from", "date_to"]

    def filter_queryset(self, queryset):
        data = self.form.cleaned_data
        if data.get("date_from") and data.get("date_to") and data["date_from"] > data["date_to"]:
            raise serializers.ValidationError({"date_to": [_("The end date is before the start date.")]})
        return super().filter_queryset(queryset)


class AuditEventViewSet(viewsets.ReadOnlyModelViewSet):
    serializer_class = AuditEventSerializer
    filterset_class = AuditEventFilter
    queryset = AuditEvent.objects.none()
    permission_classes = [IsAuthenticated, role_required(Role.AUDITOR)]

    def get_queryset(self):
        return scope_queryset(self.request.user, AuditEvent.objects.all())
