"""The cascading division picker in the list filters (cases, households, findings, edge watch list): the list
filtered through the picker's parameters shows the rows of the picked division; the old single `village`
parameter still works; a division outside the user's area is ignored (the list stays the user's own area, and
nothing of the other area shows)."""

from decimal import Decimal

import pytest

from overlaps.services import overlaps_scan
from tests.cases.factories import make_household
from tests.factories import DivisionFactory
from tests.overlaps import builders as b

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(county, township, village, other_county_village, county_officer, other_county):
    north = DivisionFactory(code="370283102000", name="北村镇", level="township", parent=county)
    north_village = DivisionFactory(code="370283102201", name="北一村", level="village", parent=north)
    b.standard(county)
    b.standard(other_county)
    for key, place in (("south", village), ("north", north_village), ("foreign", other_county_village)):
        h = make_household(place)
        b.case(h, county_officer, status="under_investigation")
        b.household(place, [b.person(name=f"边缘{key}")], income=Decimal("1000"))  # an edge household
    overlaps_scan()
    return {"north": north, "north_village": north_village}


def villages_of(page):
    return sorted({getattr(row, "division_code", "") for row in page.object_list})


def test_case_list_through_the_picker(web, world, county_officer, township, village, other_county_village):
    client = web(county_officer)
    every = client.get("/cases/")
    assert villages_of(every.context["page"]) == [village.code, world["north_village"].code]
    html = every.content.decode()
    assert "全部乡镇" in html and "北村镇" in html and 'name="division"' in html and 'name="village"' not in html
    # the picker sends one value per level: the deepest non-empty one is the filter
    north = client.get(f"/cases/?division={world['north'].code}&division=")
    assert villages_of(north.context["page"]) == [world["north_village"].code]
    assert f'<option value="{world["north"].code}" selected>' in north.content.decode()
    picked = client.get(f"/cases/?division={township.code}&division={village.code}")
    assert villages_of(picked.context["page"]) == [village.code]
    # links written before the picker (?village=) keep working
    assert villages_of(client.get(f"/cases/?village={world['north_village'].code}").context["page"]) == [
        world["north_village"].code]
    # another county's village: ignored, the list is the officer's own county, nothing of the other shows
    foreign = client.get(f"/cases/?division={other_county_village.code}")
    assert foreign.status_code == 200 and foreign.context["division"] == ""
    assert villages_of(foreign.context["page"]) == [village.code, world["north_village"].code]
    assert other_county_village.name not in foreign.content.decode()


def test_village_staff_cannot_widen_their_list(web, world, village_staff, village, township):
    client = web(village_staff)
    response = client.get(f"/cases/?division={world['north'].code}")
    assert villages_of(response.context["page"]) == [village.code]
    assert 'hx-get="/divisions/options/"' not in response.content.decode()  # one village: no picker
    assert villages_of(client.get(f"/cases/?division={township.code}").context["page"]) == [village.code]


def test_household_list_through_the_picker(web, world, county_officer, village, other_county_village):
    client = web(county_officer)
    north = client.get(f"/households/?division={world['north'].code}&division=")
    assert {h.division_code for h in north.context["page"]} == {world["north_village"].code}
    assert f'<option value="{world["north"].code}" selected>' in north.content.decode()
    # the search form posts (an ID number never lands in a URL): the picker's fields go with it
    posted = client.post("/households/", {"q": "", "division": [world["north"].code, world["north_village"].code]})
    assert {h.division_code for h in posted.context["page"]} == {world["north_village"].code}
    assert {h.division_code for h in client.get(f"/households/?village={village.code}").context["page"]} == {
        village.code}
    foreign = client.get(f"/households/?division={other_county_village.code}")
    assert foreign.context["division"] == "" and other_county_village.code not in {
        h.division_code for h in foreign.context["page"]}


def test_findings_and_watch_list_through_the_picker(web, world, county_officer, village, other_county_village):
    client = web(county_officer)
    findings = client.get(f"/findings/?rule=EDGE_HOUSEHOLD&status=open&division={world['north'].code}")
    assert {f.division_code for f in findings.context["page"]} == {world["north_village"].code}
    assert 'id="finding-division"' in findings.content.decode()
    legacy = client.get(f"/findings/?rule=EDGE_HOUSEHOLD&village={village.code}")
    assert {f.division_code for f in legacy.context["page"]} == {village.code}
    foreign = client.get(f"/findings/?rule=EDGE_HOUSEHOLD&division={other_county_village.code}")
    assert {f.division_code for f in foreign.context["page"]} == {village.code, world["north_village"].code}
    watch = client.get(f"/findings/watch-list/?division={world['north'].code}&division={world['north_village'].code}")
    assert watch.status_code == 200
    assert {f.division_code for f in watch.context["page"]} == {world["north_village"].code}
    watch_foreign = client.get(f"/findings/watch-list/?division={other_county_village.code}")
    assert {f.division_code for f in watch_foreign.context["page"]} == {village.code, world["north_village"].code}


def test_audit_log_through_the_picker(web, world, county_auditor, auditor, county_officer, village,
                                      other_county_village, other_county):
    from audit.services import record, record_access

    for place in (village, world["north_village"], other_county_village):
        record(actor=county_officer, action="case.accept", object_type="cases.case", object_id="1",
               division_code=place.code)
        record_access(user=county_officer, action="export", object_type="reports.export", object_id="1",
                      division_code=place.code, detail={"format": "csv"})
    client = web(county_auditor)
    page = client.get("/audit/").content.decode()
    assert 'id="audit-division"' in page and "北村镇" in page
    for log in ("changes", "access"):
        north = client.get(f"/audit/?log={log}&division={world['north'].code}&division=")
        assert {e.division_code for e in north.context["page"]} == {world["north_village"].code}
        foreign = client.get(f"/audit/?log={log}&division={other_county_village.code}")
        assert foreign.context["division"] == ""
        assert other_county_village.code not in {e.division_code for e in foreign.context["page"]}
        assert world["north_village"].code in {e.division_code for e in foreign.context["page"]}
    # the city auditor picks a county, then its township
    city = web(auditor)
    assert {e.division_code for e in city.get(f"/audit/?division={other_county.code}").context["page"]} == {
        other_county_village.code}
