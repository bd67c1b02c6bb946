"""Dates a clerk types are judged by the date in China, not the server's UTC date."""

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine

from cases import services
from dibao.errors import DomainError


@pytest.mark.django_db
def test_an_authorisation_signed_today_in_beijing_is_not_in_the_future(village_staff, household):
    # 01:00 on 8 December in Beijing is still 7 December in UTC.
    with time_machine.travel(datetime(2026, 12, 8, 1, 0, tzinfo=ZoneInfo("Asia/Shanghai")), tick=False):
        case = services.case_create(actor=village_staff, household=household, authorisation_signed=True,
                                    authorisation_date=date(2026, 12, 8))
        assert case.authorisation_date == date(2026, 12, 8)
        with pytest.raises(DomainError) as refused:
            services.case_create(actor=village_staff, household=household, authorisation_signed=True,
                                 authorisation_date=date(2026, 12, 9))
    assert "authorisation_date" in refused.value.fields
