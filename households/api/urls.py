from rest_framework.routers import SimpleRouter

from households.api.views import HouseholdViewSet, StandardViewSet

router = SimpleRouter()
router.register("households", HouseholdViewSet, basename="api-household")
router.register("standards", StandardViewSet, basename="api-standard")
urlpatterns = router.urls
