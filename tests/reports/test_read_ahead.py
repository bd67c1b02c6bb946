"""The export's reading thread (reports.services.read_ahead): every row in order, stopping early and errors."""

import threading

import pytest
from django.db import DataError, connection, transaction
from django.db.models.expressions import RawSQL

from accounts.models import Division
from reports.services import read_ahead

pytestmark = pytest.mark.django_db


@pytest.fixture
def divisions(village, other_village, other_county_village):
    qs = Division.objects.order_by("code").values_list("code", "name")
    rows = list(qs)
    assert len(rows) >= 6
    return qs, rows


def readers() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name == "export-read-ahead"]


def test_gives_every_row_in_order_across_chunk_boundaries(divisions):
    qs, rows = divisions
    with transaction.atomic():
        assert list(read_ahead(qs, "default", chunk_size=2, depth=1)) == rows
        assert list(read_ahead(qs, "default", chunk_size=len(rows), depth=2)) == rows
        assert list(read_ahead(qs.filter(code="none"), "default", chunk_size=2)) == []
    assert readers() == []


def test_stopping_early_ends_the_thread_and_leaves_the_connection_usable(divisions):
    qs, rows = divisions
    with transaction.atomic():
        reading = read_ahead(qs, "default", chunk_size=1, depth=1)
        assert next(reading) == rows[0]
        reading.close()
        assert readers() == []
        assert Division.objects.count() == len(rows)  # the same connection, still in its transaction
        assert connection.in_atomic_block


@pytest.mark.postgres  # SQLite answers a division by zero with NULL, not an error
def test_a_database_error_in_the_thread_is_raised_to_the_caller(divisions):
    qs, _rows = divisions
    broken = qs.annotate(boom=RawSQL("1 / (id - id)", [])).values_list("code", "boom")
    with transaction.atomic():
        with pytest.raises(DataError), transaction.atomic():
            list(read_ahead(broken, "default", chunk_size=2))
        assert readers() == []
        assert Division.objects.filter(code=_rows[0][0]).exists()
