import pytest

from tests.overlaps import builders


@pytest.fixture
def std(county):
    return builders.standard(county)
