from django.conf import settings
from django.contrib import admin
from django.urls import include, path
from django.utils.translation import gettext_lazy as _
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView
from rest_framework.routers import SimpleRouter

from audit.api import AccessLogViewSet, AuditEventViewSet
from dibao.ops.health import healthz, readyz
from dibao.ops.metrics import metrics_view
from jobs.api import JobView
from overlaps.views import registration_detail
from poverty_registry import urls as registry_urls

router = SimpleRouter()
router.register("audit-events", AuditEventViewSet, basename="audit-event")
router.register("access-logs", AccessLogViewSet, basename="access-log")

api_v1 = [
    path("", include("accounts.api.urls")),
    path("", include("households.api.urls")),
    path("", include("cases.api.urls")),
    path("", include("evidence.api.urls")),
    path("", include("recipients.api.urls")),
    path("", include("poverty_registry.api.urls")),
    path("", include("overlaps.api.urls")),
    path("", include("reports.api.urls")),
    path("", include("golive.api.urls")),
    path("jobs/<int:pk>/", JobView.as_view(), name="api-job"),
    *router.urls,
]

# The admin in the site's own words (Django's default says "Django 站点管理员").
admin.site.site_header = _("Dibao case management: administration")
admin.site.site_title = _("Dibao administration")
admin.site.index_title = _("Administration")


# A registration's page shows its members' dibao households and cases; the two programmes meet only in
# overlaps, so overlaps serves it, under the registry's address and URL name.
registry_pages = ([*registry_urls.urlpatterns, path("<int:pk>/", registration_detail, name="detail")],
                  registry_urls.app_name)


urlpatterns = [
    path("", include("accounts.urls")),
    path("households/", include("households.urls")),
    path("cases/", include("cases.urls")),
    path("evidence/", include("evidence.urls")),
    path("recipients/", include("recipients.urls")),
    path("poverty-registry/", include(registry_pages)),
    path("findings/", include("overlaps.urls")),
    path("reports/", include("reports.urls")),
    path("golive/", include("golive.urls")),
    path("audit/", include("audit.urls")),
    path("jobs/", include("jobs.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("api/v1/", include(api_v1)),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/docs/", SpectacularSwaggerSplitView.as_view(url_name="schema"), name="api-docs"),
    path(settings.ADMIN_URL, admin.site.urls),
    # Operations: open to the load balancer and compose (no data); /metrics has its own credential.
    path("healthz", healthz, name="healthz"),
    path("readyz", readyz, name="readyz"),
    path("metrics", metrics_view, name="metrics"),
]

# JSON 404/500 under /api/ (DEBUG off), the pages elsewhere.
handler404 = "dibao.api.page_not_found"
handler500 = "dibao.api.server_error"
