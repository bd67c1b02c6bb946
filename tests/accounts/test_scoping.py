import pytest

from accounts.models import Division
from accounts.scoping import division_in_scope, get_in_scope, scope_queryset
from audit.models import AuditEvent


@pytest.mark.django_db
class TestScopeQueryset:
    def test_village_staff_sees_only_own_village_subtree(self, village_staff, village, other_village, county):
        visible = set(scope_queryset(village_staff, Division.objects.all()).values_list("code", flat=True))
        assert visible == {village.code}
        assert not division_in_scope(village_staff, other_village)
        assert not division_in_scope(village_staff, county)

    def test_county_officer_sees_its_townships_and_villages(self, county_officer, county, township, village,
                                                            other_village, other_county_village):
        visible = set(scope_queryset(county_officer, Division.objects.all()).values_list("code", flat=True))
        assert {county.code, township.code, village.code, other_village.code} <= visible
        assert other_county_village.code not in visible
        assert other_county_village.parent.parent.code not in visible

    def test_city_auditor_sees_its_counties(self, auditor, county, other_county, other_county_village, province):
        visible = set(scope_queryset(auditor, Division.objects.all()).values_list("code", flat=True))
        assert {county.code, other_county.code, other_county_village.code} <= visible
        assert province.code not in visible

    def test_admin_sees_everything(self, admin_user, county, other_county):
        assert scope_queryset(admin_user, Division.objects.all()).count() == Division.objects.count()

    def test_user_without_division_sees_nothing(self, village):
        from tests.factories import UserFactory

        orphan = UserFactory(username="orphan", role="village_staff", division=None)
        assert scope_queryset(orphan, Division.objects.all()).count() == 0

    def test_code_field_models_are_scoped_without_join(self, village_staff, village, other_village):
        AuditEvent.objects.create(action="x", object_type="t", object_id="1", division_code=village.code)
        AuditEvent.objects.create(action="x", object_type="t", object_id="2", division_code=other_village.code)
        qs = scope_queryset(village_staff, AuditEvent.objects.all())
        assert list(qs.values_list("object_id", flat=True)) == ["1"]
        assert "JOIN" not in str(qs.query)

    def test_get_in_scope_404_for_other_village(self, village_staff, other_village):
        from django.http import Http404

        with pytest.raises(Http404):
            get_in_scope(village_staff, Division.objects.all(), pk=other_village.pk)
        with pytest.raises(Http404):
            get_in_scope(village_staff, Division.objects.all(), pk=999999)


@pytest.mark.django_db
def test_division_contains_is_a_prefix_test(county, village, other_county_village):
    assert county.contains(village)
    assert not county.contains(other_county_village)
    assert not village.contains(county)
