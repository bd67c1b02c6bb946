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


@pytest.mark.django_db
class TestSelectorsAndEdges:
    def test_users_visible_follows_the_division_tree(self, county_officer, village_staff, other_village_staff,
                                                     other_county_officer, admin_user):
        from accounts.selectors import users_visible

        assert set(users_visible(county_officer).values_list("username", flat=True)) == {
            "county1", "village1", "village2"}
        assert set(users_visible(village_staff).values_list("username", flat=True)) == {"village1"}
        assert users_visible(admin_user).count() == 5

    def test_villages_visible(self, township_staff, village, other_village, other_county_village):
        from accounts.selectors import villages_visible

        assert set(villages_visible(township_staff)) == {village, other_village}

    def test_inactive_user_sees_nothing(self, county_officer, village):
        county_officer.is_active = False
        assert scope_queryset(county_officer, Division.objects.all()).count() == 0

    def test_model_without_a_scope_declaration_is_refused(self, county_officer):
        from jobs.models import Job

        qs = Job.objects.all()
        qs.model = type("Undeclared", (), {"__name__": "Undeclared"})
        with pytest.raises(TypeError, match="SCOPE"):
            scope_queryset(county_officer, qs)

    def test_foreign_key_path_scoping(self, county_officer, village, other_county_village):
        """SCOPE_FIELD = "<path to Division>" filters through the join (User declares "division")."""
        from accounts.models import User
        from tests.factories import UserFactory

        UserFactory(username="in", division=village)
        UserFactory(username="out", division=other_county_village)
        names = set(scope_queryset(county_officer, User.objects.all()).values_list("username", flat=True))
        assert "in" in names and "out" not in names

    def test_require_role(self, village_staff, admin_user):
        from accounts.scoping import require_role
        from dibao.errors import NotPermitted

        with pytest.raises(NotPermitted):
            require_role(village_staff, "county_officer")
        require_role(village_staff, "village_staff")
        require_role(admin_user, "county_officer")  # admin always may
