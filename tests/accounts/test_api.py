"""Token login, /me/, /users/ and /divisions/, and the shared API error shape."""

import pytest
from django.utils.translation import gettext as _
from rest_framework.test import APIClient

from accounts.models import Division, User
from audit.models import AuditEvent
from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db


class TestTokenLogin:
    def test_token_then_token_header_works_on_me(self, village_staff):
        client = APIClient()
        response = client.post("/api/v1/auth/token/", {"username": "village1", "password": PASSWORD}, format="json")
        assert response.status_code == 200, response.content
        token = response.json()["token"]
        assert token

        anonymous = APIClient()
        assert anonymous.get("/api/v1/me/").status_code in (401, 403)
        anonymous.credentials(HTTP_AUTHORIZATION=f"Token {token}")
        me = anonymous.get("/api/v1/me/")
        assert me.status_code == 200
        body = me.json()
        assert body["username"] == "village1"
        assert body["role"] == "village_staff"
        assert body["division"]["code"] == village_staff.division.code

    def test_wrong_password_and_unknown_user_give_the_same_clear_400(self, village_staff):
        client = APIClient()
        wrong = client.post("/api/v1/auth/token/", {"username": "village1", "password": "nope-nope-1"}, format="json")
        unknown = client.post("/api/v1/auth/token/", {"username": "nobody", "password": "nope-nope-1"}, format="json")
        assert wrong.status_code == unknown.status_code == 400
        assert wrong.json() == unknown.json()
        body = wrong.json()
        assert body["code"]
        assert body["detail"]
        assert "non_field_errors" in body
        text = str(body).lower()
        assert "username" not in str(body["non_field_errors"]).lower() or "password" in text

    def test_missing_fields_name_the_fields(self):
        response = APIClient().post("/api/v1/auth/token/", {}, format="json")
        assert response.status_code == 400
        body = response.json()
        assert "username" in body and "password" in body

    def test_bad_token_is_refused(self, village_staff):
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION="Token not-a-token")
        response = client.get("/api/v1/me/")
        assert response.status_code == 401
        assert set(response.json()) == {"detail", "code"}


class TestErrorShape:
    def test_404_shape(self, api, county_officer):
        response = api(county_officer).get("/api/v1/divisions/999999999999/")
        assert response.status_code == 404
        assert set(response.json()) == {"detail", "code"}
        assert response.json()["code"] == "not_found"

    def test_403_shape(self, api, village_staff):
        response = api(village_staff).get("/api/v1/users/")
        assert response.status_code == 403
        assert set(response.json()) == {"detail", "code"}
        assert response.json()["code"] == "permission_denied"

    def test_400_field_errors(self, api, admin_user, county):
        response = api(admin_user).post("/api/v1/divisions/", {"code": "12", "level": "planet"}, format="json")
        assert response.status_code == 400
        body = response.json()
        assert body["code"]
        assert body["detail"]
        assert "level" in body and "name" in body

    def test_unauthenticated_shape(self):
        response = APIClient().get("/api/v1/me/")
        assert response.status_code in (401, 403)
        assert set(response.json()) == {"detail", "code"}
        assert response.json()["code"] == "not_authenticated"

    @pytest.mark.parametrize(
        "exc_name,status,code",
        [("InvalidTransition", 409, "invalid_transition"), ("StaleVersion", 409, "stale_version"),
         ("Conflict", 409, "conflict"), ("NotPermitted", 403, "permission_denied"), ("DomainError", 400, "invalid")],
    )
    def test_domain_errors_are_mapped(self, exc_name, status, code):
        from dibao import errors
        from dibao.api import exception_handler

        exc = getattr(errors, exc_name)()
        response = exception_handler(exc, {})
        assert response.status_code == status
        assert response.data["code"] == code
        assert response.data["detail"]

    def test_domain_error_with_fields(self):
        from dibao.api import exception_handler
        from dibao.errors import DomainError

        response = exception_handler(DomainError("bad", code="too_big", fields={"amount": ["too big"]}), {})
        assert response.status_code == 400
        assert response.data == {"detail": "bad", "code": "too_big", "amount": ["too big"]}

    def test_django_validation_error_becomes_400(self):
        from django.core.exceptions import ValidationError

        from dibao.api import exception_handler

        response = exception_handler(ValidationError({"code": ["wrong"], "__all__": ["clash"]}), {})
        assert response.status_code == 400
        # A field called "code" (a division's code) takes the place of the error code, as it always has.
        assert response.data == {"detail": str(_("Invalid input.")), "code": ["wrong"], "non_field_errors": ["clash"]}


class TestDivisionsApi:
    def test_list_is_scoped(self, api, village_staff, village, other_village, county):
        response = api(village_staff).get("/api/v1/divisions/")
        assert response.status_code == 200
        codes = [d["code"] for d in response.json()["results"]]
        assert codes == [village.code]

    def test_county_sees_subtree_and_parent_filter(self, api, county_officer, county, township, village,
                                                  other_village, other_county_village):
        client = api(county_officer)
        codes = {d["code"] for d in client.get("/api/v1/divisions/").json()["results"]}
        assert codes == {county.code, township.code, village.code, other_village.code}
        children = client.get(f"/api/v1/divisions/?parent={township.code}").json()["results"]
        assert [d["code"] for d in children] == [village.code, other_village.code]
        assert all(d["parent"] == township.code for d in children)

    def test_other_county_detail_is_404(self, api, county_officer, other_county_village):
        response = api(county_officer).get(f"/api/v1/divisions/{other_county_village.code}/")
        assert response.status_code == 404

    def test_list_query_count_is_constant(self, api, admin_user, village, other_village, other_county_village,
                                          django_assert_num_queries):
        client = api(admin_user)
        with django_assert_num_queries(2):  # count + page
            client.get("/api/v1/divisions/")

    def test_admin_creates_a_village(self, api, admin_user, township):
        response = api(admin_user).post(
            "/api/v1/divisions/",
            {"code": "370283101209", "name": "新村", "level": "village", "parent": township.code},
            format="json",
        )
        assert response.status_code == 201, response.content
        division = Division.objects.get(code="370283101209")
        assert division.parent == township
        event = AuditEvent.objects.get(action="division.create", object_id=str(division.pk))
        assert event.actor == admin_user
        assert event.division_code == division.code

    @pytest.mark.parametrize(
        "payload,field",
        [
            ({"code": "37028310120", "name": "x", "level": "village"}, "code"),  # 11 digits
            ({"code": "37028310120a", "name": "x", "level": "village"}, "code"),
            ({"code": "370283101209", "name": "x", "level": "hamlet"}, "level"),
            ({"code": "370283101209", "name": "x", "level": "village", "parent": "999999999999"}, "parent"),
            ({"code": "370283101209", "name": "x", "level": "village", "parent": None}, "parent"),
            # parent of a village must be a township
            ({"code": "370283101209", "name": "x", "level": "village", "parent": "370283000000"}, "parent"),
            # code outside the parent's prefix
            ({"code": "370285101209", "name": "x", "level": "village", "parent": "370283101000"}, "code"),
            # a township code keeps its last three digits zero
            ({"code": "370283109001", "name": "x", "level": "township", "parent": "370283000000"}, "code"),
            # duplicate
            ({"code": "370283101000", "name": "x", "level": "township", "parent": "370283000000"}, "code"),
        ],
    )
    def test_bad_divisions_are_refused_with_field_errors(self, api, admin_user, township, payload, field):
        before = Division.objects.count()
        response = api(admin_user).post("/api/v1/divisions/", payload, format="json")
        assert response.status_code == 400, response.content
        body = response.json()
        assert field in body, body
        assert body["detail"] and body["code"]
        assert Division.objects.count() == before

    def test_non_admin_post_is_403_and_nothing_created(self, api, county_officer, township):
        before = Division.objects.count()
        for payload in ({"code": "370283101209", "name": "x", "level": "village", "parent": township.code},
                        {"code": "bad"}):
            response = api(county_officer).post("/api/v1/divisions/", payload, format="json")
            assert response.status_code == 403, response.content
            assert response.json()["code"] == "permission_denied"
        assert Division.objects.count() == before


class TestUsersApi:
    def test_admin_creates_user(self, api, admin_user, village):
        response = api(admin_user).post(
            "/api/v1/users/",
            {"username": "newstaff", "password": "A-long-pass-123", "role": "village_staff",
             "division": village.code, "first_name": "小王"},
            format="json",
        )
        assert response.status_code == 201, response.content
        assert "password" not in response.json()
        user = User.objects.get(username="newstaff")
        assert user.check_password("A-long-pass-123")
        assert user.division == village
        assert AuditEvent.objects.filter(action="user.create", object_id=str(user.pk)).exists()
        assert "A-long-pass-123" not in str(AuditEvent.objects.get(action="user.create").after)

    @pytest.mark.parametrize(
        "payload,field",
        [
            ({"username": "u1", "password": "A-long-pass-123", "role": "emperor"}, "role"),
            ({"username": "u1", "password": "short", "role": "village_staff", "division": "370283101201"}, "password"),
            ({"username": "u1", "password": "A-long-pass-123", "role": "village_staff"}, "division"),
            # a village staff member cannot sit on a county
            ({"username": "u1", "password": "A-long-pass-123", "role": "village_staff", "division": "370283000000"},
             "division"),
            ({"username": "village1", "password": "A-long-pass-123", "role": "village_staff",
              "division": "370283101201"}, "username"),
            ({"username": "u1", "password": "A-long-pass-123", "role": "village_staff", "division": "000000000000"},
             "division"),
        ],
    )
    def test_bad_users_are_refused(self, api, admin_user, village_staff, county, payload, field):
        before = User.objects.count()
        response = api(admin_user).post("/api/v1/users/", payload, format="json")
        assert response.status_code == 400, response.content
        assert field in response.json(), response.json()
        assert User.objects.count() == before

    def test_non_admin_cannot_list_or_create(self, api, county_officer, village):
        client = api(county_officer)
        assert client.get("/api/v1/users/").status_code == 403
        response = client.post("/api/v1/users/", {"username": "x", "password": "A-long-pass-123",
                                                  "role": "village_staff", "division": village.code}, format="json")
        assert response.status_code == 403
        assert not User.objects.filter(username="x").exists()

    def test_admin_lists_users(self, api, admin_user, village_staff, county_officer, django_assert_num_queries):
        client = api(admin_user)
        with django_assert_num_queries(2):
            response = client.get("/api/v1/users/")
        assert response.status_code == 200
        names = [u["username"] for u in response.json()["results"]]
        assert names == sorted(names)
        assert {"admin", "village1", "county1"} <= set(names)
        assert all("password" not in u for u in response.json()["results"])


def test_schema_and_docs_are_public(client, db):
    assert client.get("/api/schema/").status_code == 200
    assert client.get("/api/docs/").status_code == 200


@pytest.mark.urls("tests.accounts.domain_error_urls")
@pytest.mark.parametrize("kind,status,body", [
    ("stale", 409, {"code": "stale_version", "version": ["3"]}),
    ("transition", 409, {"code": "invalid_transition"}),
    ("forbidden", 403, {"code": "permission_denied"}),
    ("django-validation", 400, {"amount": ["must be positive"]}),
])
def test_domain_errors_through_a_request(api, village_staff, kind, status, body):
    response = api(village_staff).post(f"/api/test-raise/{kind}/", {}, format="json")
    assert response.status_code == status
    data = response.json()
    assert data["detail"]
    for key, value in body.items():
        assert data[key] == value
