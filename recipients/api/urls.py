from rest_framework.routers import SimpleRouter

from recipients.api.views import PaymentRollViewSet, ReviewViewSet

router = SimpleRouter()
router.register("reviews", ReviewViewSet, basename="review")
router.register("payment-rolls", PaymentRollViewSet, basename="payment-roll")
urlpatterns = router.urls
