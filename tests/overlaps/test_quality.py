"""A small run of the labelled synthetic set (benchmarks/overlap_quality.py runs the large one)."""

import pytest

from accounts.models import Division
from overlaps.models import OverlapFlag
from overlaps.services import overlaps_scan
from tests.overlaps import synthetic


@pytest.mark.django_db
def test_quality_on_synthetic_set(village, other_village, county_officer, std):
    from tests.overlaps.builders import drop_unique_membership

    drop_unique_membership()
    villages = list(Division.objects.filter(pk__in=[village.pk, other_village.pk]))
    truth = synthetic.build(villages=villages, user=county_officer, n_persons=1500, planted=15,
                            duplicate_memberships=True)
    overlaps_scan()
    found = {}
    for rule, key in OverlapFlag.objects.filter(status="open").values_list("rule", "subject_key"):
        found.setdefault(rule, set()).add(key)
    scores = synthetic.score(truth, found)
    for rule, (tp, _fp, _fn, recall, precision) in scores.items():
        assert tp > 0, rule
        assert recall >= 0.99 if rule != "PROBABLE_DUPLICATE" else recall >= 0.95, (rule, scores[rule])
        assert precision >= 0.95, (rule, scores[rule])
