from datetime import date
from decimal import Decimal

from households.idnumber import make_id_number
from households.models import IncomePolicy, Standard

_seq = [0]


def id_number(birth=date(1970, 5, 1), region="370283"):
    _seq[0] += 1
    return make_id_number(region, birth, _seq[0] % 1000)


def member_row(relationship="head", name="张三", birth=date(1970, 5, 1), **extra):
    return {"id_number": id_number(birth), "name": name, "relationship": relationship, **extra}


def household_data(members=None, incomes=None, assets=None, **extra):
    return {"address": "东关村1号", "contact_phone": "0532-8888888",
            "members": members if members is not None else [member_row()],
            "incomes": incomes if incomes is not None else [],
            "assets": assets if assets is not None else [], **extra}


def make_standard(county, amount="784", start=date(2025, 1, 1)):
    return Standard.objects.create(county=county, monthly_amount=Decimal(amount), effective_from=start)


def make_policy(county, start=date(2025, 1, 1), **kw):
    return IncomePolicy.objects.create(county=county, effective_from=start, **kw)
