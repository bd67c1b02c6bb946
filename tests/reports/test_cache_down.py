"""The dashboard's cached case figures with the cache server killed: the same figures, computed.

Committed data (a transactional test), so the figures really were served from the private Redis before
it was killed (tests/security/test_cache_down.py covers every page of the access matrix).
"""

import pytest
from django.test import Client

from reports.dashboard import dashboard_data
from tests.faults.test_real_faults import needs_redis_server
from tests.security.test_cache_down import cache_server  # noqa: F401 - the fixture

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True), needs_redis_server]


def test_case_figures_come_from_the_cache_then_are_computed_without_it(worked_example, county, county_officer,
                                                                      cache_server):  # noqa: F811
    cold = dashboard_data(county)
    redis = cache_server.client()
    assert any(b"reports:cases:" in key for key in redis.keys("*"))
    assert dashboard_data(county)["totals"] == cold["totals"]  # served from the cache
    cache_server.kill()
    down = dashboard_data(county)
    assert down["totals"] == cold["totals"] and down["rows"] == cold["rows"] and down["series"] == cold["series"]
    client = Client()
    client.force_login(county_officer)
    page = client.get("/reports/")
    assert page.status_code == 200
    assert page.context["data"]["totals"] == cold["totals"]
