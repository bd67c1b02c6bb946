import django_filters
from django.utils.translation import gettext_lazy as _
from rest_framework import serializers, viewsets
from rest_framework.permissions import BasePermission, IsAuthenticated

from accounts.models import AUDIT_LOG_READERS
from audit.models import AccessLog, AuditEvent
from audit.views import events_visible


class AuditLogReader(BasePermission):
    """Auditors and the audit administrator; not the system administrator's pass (三员分立)."""

    message = _("Only auditors and the audit administrator may read the audit log.")

    def has_permission(self, request, view):
        user = request.user
        return bool(user and user.is_authenticated and user.has_exact_role(*AUDIT_LOG_READERS))


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
    permission_classes = [IsAuthenticated, AuditLogReader]

    def get_queryset(self):
        return events_visible(self.request.user, AuditEvent.objects.all())


class AccessLogSerializer(serializers.ModelSerializer):
    username = serializers.CharField(source="user.username", read_only=True)

    class Meta:
        model = AccessLog
        fields = ["id", "created_at", "username", "action", "object_type", "object_id", "division_code",
                  "detail", "ip"]


class AccessLogFilter(django_filters.FilterSet):
    user = django_filters.CharFilter(field_name="user__username")
    action = django_filters.CharFilter(lookup_expr="startswith")
    date_from = django_filters.DateFilter(field_name="created_at", lookup_expr="date__gte")
    date_to = django_filters.DateFilter(field_name="created_at", lookup_expr="date__lte")

    class Meta:
        model = AccessLog
        fields = ["user", "action", "date_from", "date_to"]


class AccessLogViewSet(viewsets.ReadOnlyModelViewSet):
    """Who read or exported what (full ID numbers revealed, unmasked exports), with the stated purpose."""

    serializer_class = AccessLogSerializer
    filterset_class = AccessLogFilter
    queryset = AccessLog.objects.none()
    permission_classes = [IsAuthenticated, AuditLogReader]

    def get_queryset(self):
        return events_visible(self.request.user, AccessLog.objects.select_related("user"))
