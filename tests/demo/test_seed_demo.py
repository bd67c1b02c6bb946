"""seed_demo: idempotent, real county codes, refuses on a production database unless forced."""

import pytest
from django.apps import apps
from django.core.management import CommandError, call_command

from accounts.models import Division, User
from demo.seed import accounts as demo

pytestmark = pytest.mark.django_db


def row_counts() -> dict:
    return {model._meta.label: model.objects.count() for model in apps.get_models() if model._meta.managed}


def test_seed_twice_gives_the_same_counts(settings, capsys):
    settings.DEBUG = True
    call_command("seed_demo")
    first = row_counts()
    out = capsys.readouterr().out
    call_command("seed_demo")
    assert row_counts() == first
    assert demo.DEMO_PASSWORD in out
    for username, *_ in demo.DEMO_USERS:
        assert username in out
    assert first["accounts.User"] >= len(demo.DEMO_USERS)


def test_seeded_tree_and_logins(settings, client):
    settings.DEBUG = True
    call_command("seed_demo", "--accounts-only")
    county = Division.objects.get(code=demo.COUNTY_CODE)
    villages = Division.objects.filter(level="village", code__startswith=county.prefix)
    assert 15 <= villages.count() <= 30
    for village in villages:
        assert village.parent.level == "township" and county.contains(village)
        village.full_clean()
    for username, role, code, _display in demo.DEMO_USERS:
        user = User.objects.get(username=username)
        assert user.role == role
        assert (user.division.code if user.division else None) == code
        user.full_clean()
        response = client.post("/accounts/login/", {"username": username, "password": demo.DEMO_PASSWORD})
        assert response.status_code == 302, username
        assert client.get("/").status_code == 200
        client.post("/accounts/logout/")
    # The three administrators, none a Django superuser (三员分立).
    assert set(User.objects.filter(role__in=["admin", "security_admin", "audit_admin"]).values_list("username", flat=True)) \
        == {"admin", "secadmin", "auditadmin"}
    assert not User.objects.filter(is_superuser=True).exists()


def test_refuses_with_debug_off(settings):
    settings.DEBUG = False
    with pytest.raises(CommandError, match="--force"):
        call_command("seed_demo")
    assert not Division.objects.exists()
    call_command("seed_demo", "--force", "--accounts-only")
    assert Division.objects.filter(code=demo.COUNTY_CODE).exists()
