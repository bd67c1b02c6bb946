"""Login page, lockout, the login wall, language switching and idle sessions."""

import time

import pytest
from django.test import Client, override_settings
from django.urls import reverse

from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db

LOGIN = "/accounts/login/"


def post_login(client, username, password, ip="10.0.0.1"):
    return client.post(LOGIN, {"username": username, "password": password}, REMOTE_ADDR=ip)


class TestLoginPage:
    def test_login_page_renders_in_chinese_by_default(self, client):
        response = client.get(LOGIN)
        assert response.status_code == 200
        html = response.content.decode()
        assert 'lang="zh-hans"' in html
        assert "登录" in html
        assert "用户名" in html and "密码" in html
        assert "csrfmiddlewaretoken" in html

    def test_login_works_and_redirects_home(self, village_staff):
        client = Client()
        response = post_login(client, "village1", PASSWORD)
        assert response.status_code == 302
        assert response["Location"] == reverse("home")
        home = client.get("/")
        assert home.status_code == 200
        assert "village1" in home.content.decode() or village_staff.division.name in home.content.decode()

    def test_wrong_password_and_unknown_user_get_the_same_message(self, village_staff):
        wrong = post_login(Client(), "village1", "not-the-password")
        unknown = post_login(Client(), "nobody-here", "not-the-password")
        assert wrong.status_code == unknown.status_code == 200
        wrong_errors = wrong.context["form"].non_field_errors()
        unknown_errors = unknown.context["form"].non_field_errors()
        assert list(wrong_errors) == list(unknown_errors)
        assert len(wrong_errors) == 1
        assert "用户名或密码不正确" in wrong.content.decode()

    def test_csrf_is_enforced_on_login(self, village_staff):
        client = Client(enforce_csrf_checks=True)
        response = client.post(LOGIN, {"username": "village1", "password": PASSWORD})
        assert response.status_code == 403

    def test_logout_needs_post(self, web, village_staff):
        client = web(village_staff)
        response = client.post(reverse("logout"))
        assert response.status_code == 302
        assert client.get("/").status_code == 302

    def test_user_menu_shows_role_and_division(self, web, village_staff):
        html = web(village_staff).get("/").content.decode()
        assert "村级工作人员" in html
        assert village_staff.division.name in html
        assert village_staff.division.code in html


class TestLockout:
    def test_sixth_attempt_with_the_right_password_is_refused(self, village_staff, other_village_staff):
        client = Client()
        statuses = [post_login(client, "village1", "wrong-password-1").status_code for _ in range(5)]
        assert statuses[:4] == [200] * 4
        assert statuses[4] in (200, 429)  # the fifth failure already answers with the lockout page
        response = post_login(client, "village1", PASSWORD)
        assert response.status_code == 429
        assert "_auth_user_id" not in client.session
        assert "登录失败次数过多" in response.content.decode()
        # Another username from the same address is not locked.
        other = Client()
        response = post_login(other, "village2", PASSWORD)
        assert response.status_code == 302
        # The same username from another address is not locked either (username+IP).
        response = post_login(Client(), "village1", PASSWORD, ip="10.0.0.2")
        assert response.status_code == 302

    def test_behind_the_proxy_the_forwarded_address_counts(self, village_staff, settings):
        """nginx appends the client to X-Forwarded-For; two clients behind it are locked apart."""
        settings.TRUSTED_PROXIES = ["10.9.9.9/32"]

        def attempt(client, password, forwarded):
            return client.post(LOGIN, {"username": "village1", "password": password}, REMOTE_ADDR="10.9.9.9",
                               HTTP_X_FORWARDED_FOR=forwarded)

        client = Client()
        for _ in range(5):
            attempt(client, "wrong-password-1", "spoofed, 172.16.0.5")
        assert attempt(client, PASSWORD, "172.16.0.5").status_code == 429
        assert attempt(Client(), PASSWORD, "172.16.0.6").status_code == 302

    def test_token_endpoint_counts_towards_lockout(self, village_staff):
        from rest_framework.test import APIClient

        client = APIClient()
        for _ in range(5):
            client.post("/api/v1/auth/token/", {"username": "village1", "password": "wrong-password-1"},
                        format="json", REMOTE_ADDR="10.0.0.9")
        response = client.post("/api/v1/auth/token/", {"username": "village1", "password": PASSWORD},
                               format="json", REMOTE_ADDR="10.0.0.9")
        assert response.status_code in (400, 403, 429)
        assert "token" not in response.json()


class TestLoginWall:
    @pytest.mark.parametrize("path", ["/", "/jobs/1/", "/admin/", "/households/", "/cases/", "/audit/",
                                      "/no-such-page/"])
    def test_pages_redirect_to_login(self, client, path):
        response = client.get(path)
        assert response.status_code == 302
        assert response["Location"].startswith(LOGIN + "?next=")

    def test_every_url_pattern_needs_login(self, client):
        """Walk the URL conf: only login, language switch, API schema/docs and the probes are open (/metrics
        answers 404 without its token: tests/ops/test_metrics.py)."""
        from django.urls import get_resolver

        open_ok = {"/accounts/login/", "/api/v1/auth/token/", "/api/schema/", "/api/docs/", "/healthz", "/readyz",
                   "/metrics", "/i18n/setlang/"}
        checked = 0
        for path in _concrete_paths(get_resolver()):
            if path in open_ok or path.startswith("/static/"):
                continue
            response = client.get(path)
            if path.startswith("/api/"):
                assert response.status_code == 401, (path, response.status_code)
            else:
                assert response.status_code == 302, (path, response.status_code)
                assert response["Location"].startswith(LOGIN), path
            checked += 1
        assert checked >= 5

    def test_open_pages(self, client):
        assert client.get(LOGIN).status_code == 200
        assert client.get("/api/schema/").status_code == 200
        assert client.get("/api/docs/").status_code == 200
        assert client.get("/healthz").status_code == 200


def _concrete_paths(resolver, prefix="/"):
    """Turn URL patterns into sample paths: ints become 1, uuids a valid uuid, codes 12 digits, other args 'x'."""
    import re

    from django.urls import URLPattern, URLResolver

    for entry in resolver.url_patterns:
        pattern = str(entry.pattern)
        pattern = pattern.lstrip("^").rstrip("$").replace("\\Z", "")
        pattern = re.sub(r"<int:\w+>", "1", pattern)
        pattern = re.sub(r"<uuid:\w+>", "00000000-0000-4000-8000-000000000000", pattern)
        pattern = re.sub(r"<(?:str|slug|path|uuid)?:?\w+>", "x", pattern)
        pattern = re.sub(r"\(\?P<\w+>\\d\{12\}\)", "370283000000", pattern)
        pattern = re.sub(r"\(\?P<\w+>[^)]*\)", "1", pattern)
        pattern = pattern.replace("\\.", ".").replace("/?", "/")
        if re.search(r"[\\(\[\]*+?]", pattern):
            continue
        if isinstance(entry, URLResolver):
            if "admin" in (getattr(entry, "app_name", None) or "") or "admin" in pattern:
                yield prefix + pattern
                continue
            yield from _concrete_paths(entry, prefix + pattern)
        elif isinstance(entry, URLPattern):
            yield prefix + pattern


class TestLanguage:
    def test_switch_to_english_and_back(self, client):
        response = client.post("/i18n/setlang/", {"language": "en", "next": LOGIN})
        assert response.status_code == 302
        html = client.get(LOGIN).content.decode()
        assert 'lang="en"' in html
        assert "Log in" in html and "Username" in html
        client.post("/i18n/setlang/", {"language": "zh-hans", "next": LOGIN})
        assert "用户名" in client.get(LOGIN).content.decode()

    def test_language_selector_on_every_page(self, web, village_staff):
        for client, path in ((Client(), LOGIN), (web(village_staff), "/")):
            html = client.get(path).content.decode()
            assert 'action="/i18n/setlang/"' in html
            assert "English" in html and "简体中文" in html

    def test_english_home_page(self, web, county_officer):
        client = web(county_officer)
        client.post("/i18n/setlang/", {"language": "en"})
        html = client.get("/").content.decode()
        assert "Work queue" in html
        assert "County civil-affairs officer" in html

    def test_api_errors_follow_the_language(self, api, village_staff):
        client = api(village_staff)
        zh = client.get("/api/v1/users/").json()["detail"]
        en = client.get("/api/v1/users/", HTTP_ACCEPT_LANGUAGE="en").json()["detail"]
        assert zh != en
        assert any("\u4e00" <= ch <= "\u9fff" for ch in zh)


class TestIdleSession:
    @override_settings(SESSION_IDLE_SECONDS=600)
    def test_idle_session_is_logged_out(self, web, village_staff):
        client = web(village_staff)
        assert client.get("/").status_code == 200
        session = client.session
        assert session["last_seen"] >= int(time.time()) - 5
        session["last_seen"] = int(time.time()) - 601
        session.save()
        response = client.get("/")
        assert response.status_code == 302
        assert response["Location"].startswith(LOGIN)
        assert "_auth_user_id" not in client.session

    @override_settings(SESSION_IDLE_SECONDS=600)
    def test_active_session_stays(self, web, village_staff):
        client = web(village_staff)
        client.get("/")
        session = client.session
        session["last_seen"] = int(time.time()) - 500
        session.save()
        assert client.get("/").status_code == 200
        # The visit refreshed last_seen, so the clock starts again.
        assert client.session["last_seen"] >= int(time.time()) - 5

    @override_settings(SESSION_IDLE_SECONDS=600, SESSION_COOKIE_AGE=3600)
    def test_absolute_lifetime_ends_an_active_session(self, web, village_staff):
        client = web(village_staff)
        client.get("/")
        session = client.session
        assert session["started_at"] >= int(time.time()) - 5
        session["started_at"] = int(time.time()) - 3601
        session["last_seen"] = int(time.time()) - 10  # active a moment ago
        session.save()
        response = client.get("/")
        assert response.status_code == 302
        assert "_auth_user_id" not in client.session

    def test_absolute_lifetime_is_configured(self, settings):
        assert settings.SESSION_COOKIE_AGE == 12 * 3600
        assert settings.SESSION_IDLE_SECONDS == 30 * 60


@pytest.mark.parametrize("fixture,text", [
    ("village_staff", "本村需要您录入"),
    ("township_staff", "本乡镇各村待录入的入户调查"),
    ("county_officer", "发放花名册和到期复核"),
    ("auditor", "比对疑点和审计记录"),
    ("admin_user", "用户和行政区划"),
])
def test_home_shows_each_role_its_own_queue(request, web, fixture, text):
    user = request.getfixturevalue(fixture)
    html = web(user).get("/").content.decode()
    assert text in html
    assert "待办工作" in html


def test_home_page_query_count(web, county_officer, django_assert_num_queries, monkeypatch):
    """The page frame itself; each app's panel pins its own queries."""
    from accounts import views

    monkeypatch.setattr(views, "HOME_PANELS", [])
    client = web(county_officer)
    client.get("/")
    with django_assert_num_queries(3):  # session, user, user's division
        client.get("/")


def test_chinese_browser_gets_chinese(client):
    html = client.get(LOGIN, HTTP_ACCEPT_LANGUAGE="zh-CN,zh;q=0.9").content.decode()
    assert "用户名" in html


def test_expired_form_gets_a_friendly_page(village_staff):
    client = Client(enforce_csrf_checks=True)
    client.get(LOGIN)
    response = client.post(LOGIN, {"username": "village1", "password": PASSWORD, "csrfmiddlewaretoken": "x" * 64})
    assert response.status_code == 403
    html = response.content.decode()
    assert "表单已过期" in html and "重新加载页面" in html


def test_out_of_scope_page_is_a_friendly_404(web, village_staff):
    response = web(village_staff).get("/jobs/999999/")
    assert response.status_code == 404
    assert "不在您的管辖范围内" in response.content.decode()
