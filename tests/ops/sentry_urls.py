"""A page that fails with personal data everywhere: in its message, its locals, the query and the body."""

from django.urls import path

from dibao.urls import urlpatterns as project_urls


def failing_view(request):
    id_number = request.POST.get("id_number")  # noqa: F841 - a local variable Sentry would collect
    name = "王小明"  # noqa: F841
    raise ValueError(f"no household for {request.GET.get('q')} (王小明)")


urlpatterns = [path("boom/", failing_view), *project_urls]
