"""ASVS V14.4 / V8.2.1 (HTTP security headers, no caching of personal data) and V7.4 (errors): no-store on
every page and API answer, JSON 404/500 under /api/ with DEBUG off, no Server banner."""

import pytest
from django.test import Client, override_settings

pytestmark = pytest.mark.django_db


def test_no_store_on_pages_and_api(web, api, village_staff):
    for response in (web(village_staff).get("/households/"), api(village_staff).get("/api/v1/households/"),
                     Client().get("/accounts/login/")):
        assert "no-store" in response["Cache-Control"]
        assert "Server" not in response


@override_settings(DEBUG=False)
def test_api_404_is_json_in_production(web, village_staff):
    response = web(village_staff).get("/api/v1/no-such-thing/")
    assert response.status_code == 404
    assert response["Content-Type"].startswith("application/json")
    assert response.json() == {"detail": "未找到。", "code": "not_found"} or response.json()["code"] == "not_found"
    page = web(village_staff).get("/no-such-page/")
    assert page.status_code == 404 and page["Content-Type"].startswith("text/html")


def test_api_500_is_json_in_production(rf):
    from dibao.api import server_error

    response = server_error(rf.get("/api/v1/households/"))
    assert response.status_code == 500 and response["Content-Type"].startswith("application/json")
    assert b"server_error" in response.content
    assert server_error(rf.get("/households/"))["Content-Type"].startswith("text/html")


def test_gunicorn_config_drops_the_server_banner():
    import importlib.util
    from pathlib import Path

    from gunicorn.http import wsgi

    path = Path(__file__).resolve().parents[2] / "gunicorn.conf.py"
    spec = importlib.util.spec_from_file_location("gunicorn_conf", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)

    class Fake:
        version = "gunicorn"
        upgrade = False
        chunked = False
        status = "200 OK"
        req = type("R", (), {"version": (1, 1)})()

        def should_close(self):
            return False

    headers = wsgi.Response.default_headers(Fake())
    assert not any(h.lower().startswith("server:") for h in headers)
