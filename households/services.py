"""Every write to households, members, income, assets and standards.

`household_create` / `household_update` take the household with nested members, incomes and
assets, validate ALL of it first (errors keyed "field" or "members.<i>.<field>"), then write in
one transaction with one audit event per changed row, and recalculate the denormalised figures.
Nothing is half-saved: any error raises before (or rolls back) every write.
"""

from datetime import date
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.core.validators import MaxLengthValidator
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Division, Level, Role
from accounts.scoping import division_in_scope, require_role
from audit.services import changed_fields, record, record_access
from dibao.api import ScopedThrottle
from dibao.errors import InvalidInput, NotPermitted, StaleVersion
from households.idnumber import mask, normalize, parse_id_number
from households.income import ELDERLY_AGE, MINOR_AGE, age_on, asset_check_reasons, compute_income
from households.models import (
    BANK_ACCOUNT_VALIDATOR,
    PHONE_VALIDATOR,
    Asset,
    Household,
    IncomeItem,
    Member,
    Person,
    Standard,
)
from households.persons import id_hash_for, id_hashes_for, person_get_or_create
from households.selectors import access_household_by_id, income_policy_in_force, standard_in_force

HOUSEHOLD_FIELDS = ("address", "registration_type", "contact_phone", "bank_name", "bank_account")
MEMBER_FIELDS = ("name", "relationship", "labour_capacity", "health", "disability_grade", "disability_type",
                 "student_level", "counted", "not_counted_reason", "not_counted_note")
INCOME_FIELDS = ("kind", "monthly_amount", "period_months", "counted", "excluded_reason", "deductible_costs", "note")
ASSET_FIELDS = ("kind", "vehicle_type", "value", "description")
WRITER_ROLES = (Role.VILLAGE_STAFF, Role.TOWNSHIP_STAFF, Role.COUNTY_OFFICER)


# ---------------------------------------------------------------- snapshots for the audit log
def household_snapshot(h: Household) -> dict:
    return {"village": h.division_code, **{f: getattr(h, f) for f in HOUSEHOLD_FIELDS}}


def member_snapshot(m: Member, id_number: str | None = None) -> dict:
    # Only the MASKED number ever reaches the audit log.
    number = id_number if id_number is not None else m.person.id_number
    return {"member": m.pk, "id_number": mask(number), "is_active": m.is_active,
            **{f: getattr(m, f) for f in MEMBER_FIELDS}}


def income_snapshot(i: IncomeItem) -> dict:
    return {"income": i.pk, "member": i.member_id, **{f: getattr(i, f) for f in INCOME_FIELDS}}


def asset_snapshot(a: Asset) -> dict:
    return {"asset": a.pk, **{f: getattr(a, f) for f in ASSET_FIELDS}}


def _event(actor, action, household, before=None, after=None):
    if before is not None and after is not None:
        before, after = changed_fields(before, after)
        if not before and not after:
            return
    record(actor=actor, action=action, obj=household, division_code=household.division_code,
           before=before, after=after)


# ---------------------------------------------------------------- permission
def require_household_writer(actor, village: Division) -> None:
    """A writer's role, and a village in the actor's area (one outside it is refused like a missing one)."""
    require_role(actor, *WRITER_ROLES)
    if village is None or village.level != Level.VILLAGE or not division_in_scope(actor, village):
        raise InvalidInput(fields={"village": [_("Choose a village.")]})


def _lock(actor, household_id: int) -> Household:
    """The household under its row lock, if it lies in the writer's area (NotFound otherwise)."""
    require_role(actor, *WRITER_ROLES)
    return access_household_by_id(actor, household_id, for_update=True)


def active_elsewhere_refusal_noted(*, actor, error: InvalidInput) -> bool:
    """Write a refusal "already active in another household" to the access log (by the numbers' blind
    index) and count it per user; False once the user is over ACTIVE_ELSEWHERE_RATE, when the caller
    answers 429 instead (so ID numbers cannot be probed across the country)."""
    record_access(user=actor, action="household.active_elsewhere_refused",
                  detail={"id_hashes": getattr(error, "id_hashes", [])})
    return ScopedThrottle("active_elsewhere", f"user:{actor.pk}").allow()


# ---------------------------------------------------------------- validation
def _decimal(value, errors, key):
    if value is None or value == "":
        return None
    try:
        return Decimal(str(value))
    except (InvalidOperation, ValueError):
        errors.setdefault(key, []).append(_("Enter a number."))
        return None


def _prepare_members(household, rows, existing, errors, *, actor=None, refused=None):
    """Build unsaved/updated Member objects and their parsed ID numbers; collect errors. A person already
    active elsewhere is refused naming the village only to an actor whose area covers it; the blind
    index of each such number goes to `refused` (the API audits and throttles these refusals)."""
    built, seen = [], {}
    for i, row in enumerate(rows):
        key = f"members.{i}"
        member_id = row.get("id")
        if member_id:
            member = existing.get(int(member_id))
            if member is None:
                errors.setdefault(f"{key}.id", []).append(_("This member is not in the household."))
                continue
        else:
            member = Member(household=household)
        number = normalize(row.get("id_number") or "")
        info = None
        if member.pk and not number:
            number = member.person.id_number
        try:
            info = parse_id_number(number)
        except ValidationError as exc:
            errors.setdefault(f"{key}.id_number", []).extend(exc.messages)
        if info:
            if info.number in seen:
                errors.setdefault(f"{key}.id_number", []).append(
                    _("The same ID number is entered twice in this household (row %(n)d).") % {"n": seen[info.number] + 1})
            seen.setdefault(info.number, i)
            other = (Member.objects.filter(person__id_hash__in=id_hashes_for(info.number), is_active=True)
                     .select_related("household__village").first())
            if other and other.household_id != household.pk:
                if actor is not None and division_in_scope(actor, other.household.village):
                    message = (_("This person is already an active member of a household in %(village)s.")
                               % {"village": other.household.village.name})
                else:
                    message = _("This person is already an active member of a household in another area.")
                errors.setdefault(f"{key}.id_number", []).append(message)
                if refused is not None:
                    refused.append(id_hash_for(info.number))
            member.birth_date, member.sex = info.birth_date, info.sex
        for f in MEMBER_FIELDS:
            if f in row:
                setattr(member, f, row[f] if row[f] is not None or f == "disability_grade" else getattr(member, f))
        if member.disability_grade in ("", None):
            member.disability_grade = None
        if not member.name:
            errors.setdefault(f"{key}.name", []).append(_("Enter the member's name."))
        member.is_active = True
        try:
            member.full_clean(exclude=["household", "person", "birth_date", "sex"], validate_constraints=False)
        except ValidationError as exc:
            for f, msgs in exc.message_dict.items():
                errors.setdefault(f"{key}.{'non_field_errors' if f == '__all__' else f}", []).extend(msgs)
        if member.counted is False and not member.not_counted_reason:
            errors.setdefault(f"{key}.not_counted_reason", []).append(_("Say why this member is not counted."))
        if member.health == Member.Health.DISABLED and not member.disability_grade:
            errors.setdefault(f"{key}.disability_grade", []).append(_("Enter the disability grade (1-4)."))
        built.append((member, info))
    heads = sum(1 for m, _info in built if m.relationship == Member.Relationship.HEAD)
    if rows is not None and heads != 1:
        errors.setdefault("members", []).append(
            _("A household has exactly one head; this one has %(n)d.") % {"n": heads})
    return built


def _prepare_rows(model, rows, existing, fields, prefix, errors, household):
    built = []
    for i, row in enumerate(rows):
        key = f"{prefix}.{i}"
        if row.get("id"):
            obj = existing.get(int(row["id"]))
            if obj is None:
                errors.setdefault(f"{key}.id", []).append(_("This row is not in the household."))
                continue
        else:
            obj = model(household=household)
        for f in fields:
            if f in row and row[f] is not None:
                value = row[f]
                if f in ("monthly_amount", "deductible_costs", "value"):
                    value = _decimal(value, errors, f"{key}.{f}")
                setattr(obj, f, value)
        if model is IncomeItem and not obj.period_months:
            errors.setdefault(f"{key}.period_months", []).append(
                _("Enter the number of months the amount was averaged over."))
        try:
            obj.full_clean(exclude=["household", "member"], validate_constraints=False)
        except ValidationError as exc:
            for f, msgs in exc.message_dict.items():
                k = f"{key}.{'non_field_errors' if f == '__all__' else f}"
                if k not in errors:
                    errors.setdefault(k, []).extend(msgs)
        built.append((obj, row))
    return built


# The encrypted columns (households.crypto) have no model validators: their values are checked here.
SEALED_FIELD_RULES = {"contact_phone": (20, PHONE_VALIDATOR), "bank_account": (30, BANK_ACCOUNT_VALIDATOR)}


def _apply_household_fields(household, data, errors):
    for f in HOUSEHOLD_FIELDS:
        if f in data and data[f] is not None:
            value = data[f].strip() if isinstance(data[f], str) else data[f]
            if f in SEALED_FIELD_RULES:
                value = str(value)
                max_length, validator = SEALED_FIELD_RULES[f]
                try:
                    MaxLengthValidator(max_length)(value)
                    if value:
                        validator(value)
                except ValidationError as exc:
                    errors.setdefault(f, []).extend(exc.messages)
                    continue
            setattr(household, f, value)
    try:
        household.full_clean(exclude=["village", "created_by", "division_code"], validate_constraints=False)
    except ValidationError as exc:
        for f, msgs in exc.message_dict.items():
            errors.setdefault(f, []).extend(msgs)


# ---------------------------------------------------------------- create / update
@transaction.atomic
def household_create(*, actor, village: Division, data: dict) -> Household:
    """data: household fields plus members[], incomes[], assets[] (see the API serializer)."""
    require_household_writer(actor, village)
    household = Household(village=village, division_code=village.code, created_by=actor
                          if getattr(actor, "is_authenticated", False) else None)
    return _save(actor=actor, household=household, data=data, creating=True)


@transaction.atomic
def household_update(*, actor, household: Household, version: int | None, data: dict) -> Household:
    household = _lock(actor, household.pk)
    if version is None:
        raise InvalidInput(fields={"version": [_("Send the version you read.")]})
    if int(version) != household.version:
        raise StaleVersion(_("Someone else changed this household after you opened it."))
    return _save(actor=actor, household=household, data=data, creating=False)


def _save(*, actor, household: Household, data: dict, creating: bool) -> Household:
    errors: dict = {}
    before = None if creating else household_snapshot(household)
    _apply_household_fields(household, data, errors)
    existing_members = {} if creating else {
        m.pk: m for m in household.members.filter(is_active=True).select_related("person")}
    member_rows = data.get("members") if "members" in data or creating else None
    refused: list[str] = []
    built_members = _prepare_members(household, member_rows or [], existing_members, errors, actor=actor,
                                     refused=refused) if member_rows is not None else []
    if creating and not member_rows:
        errors.setdefault("members", [])
    income_rows = data.get("incomes")
    existing_incomes = {} if creating else {i.pk: i for i in household.incomes.all()}
    built_incomes = _prepare_rows(IncomeItem, income_rows or [], existing_incomes, INCOME_FIELDS,
                                  "incomes", errors, household) if income_rows is not None else []
    asset_rows = data.get("assets")
    existing_assets = {} if creating else {a.pk: a for a in household.assets.all()}
    built_assets = _prepare_rows(Asset, asset_rows or [], existing_assets, ASSET_FIELDS,
                                 "assets", errors, household) if asset_rows is not None else []
    # income -> member link by the member's ID number (new members) or member id (existing)
    numbers = {info.number: idx for idx, (_m, info) in enumerate(built_members) if info}
    income_links = []
    for i, (_item, row) in enumerate(built_incomes):
        link = None
        if row.get("member_id_number"):
            n = normalize(row["member_id_number"])
            if n in numbers:
                link = ("new", numbers[n])
            else:
                errors.setdefault(f"incomes.{i}.member_id_number", []).append(
                    _("No member of this household has this ID number."))
        elif row.get("member"):
            mid = int(row["member"])
            kept = {m.pk for m, _info in built_members} if member_rows is not None else set(existing_members)
            if mid not in kept:
                errors.setdefault(f"incomes.{i}.member", []).append(_("This member is not in the household."))
            else:
                link = ("id", mid)
        income_links.append(link)
    if errors:
        exc = InvalidInput(fields={k: v for k, v in errors.items() if v} or
                           {"members": [_("A household has exactly one head; this one has 0.")]},
                           code="active_elsewhere" if refused else None)
        exc.id_hashes = refused
        raise exc

    try:
        with transaction.atomic():
            _write(actor, household, before, creating, member_rows, built_members, existing_members,
                   income_rows, built_incomes, income_links, existing_incomes, asset_rows, built_assets,
                   existing_assets)
    except IntegrityError as exc:
        raise InvalidInput(fields={"members": [_("A member is already active in another household, or the "
                                                 "household has two heads. Reload and check.")]}) from exc
    return household


def _write(actor, household, before, creating, member_rows, built_members, existing_members, income_rows,
           built_incomes, income_links, existing_incomes, asset_rows, built_assets, existing_assets):
    if not creating:
        household.version += 1
    household.save()
    if creating:
        record(actor=actor, action="household.created", obj=household, division_code=household.division_code,
               after=household_snapshot(household))
    else:
        _event(actor, "household.updated", household, before, household_snapshot(household))
    saved_members = []
    if member_rows is not None:
        kept = {m.pk for m, _info in built_members if m.pk}
        for pk, member in existing_members.items():
            if pk not in kept:
                _deactivate(actor, household, member)
        # Existing members who are no longer head go first, so a change of head never meets the
        # one-active-head index half-way; the rest keep the entered order.
        for member, info in sorted(built_members,
                                   key=lambda t: 0 if t[0].pk and t[0].relationship != Member.Relationship.HEAD else 1):
            person = person_get_or_create(id_number=info.number, name=member.name)
            old = None
            if member.pk:
                old = member_snapshot(Member.objects.select_related("person").get(pk=member.pk))
            member.person = person
            member.save()
            if old is None:
                record(actor=actor, action="member.added", obj=household, division_code=household.division_code,
                       after=member_snapshot(member, info.number))
            else:
                _event(actor, "member.updated", household, old, member_snapshot(member, info.number))
            saved_members.append(member)
    if income_rows is not None:
        kept = {item.pk for item, _row in built_incomes if item.pk}
        for pk, item in existing_incomes.items():
            if pk not in kept:
                record(actor=actor, action="income.removed", obj=household, division_code=household.division_code,
                       before=income_snapshot(item))
                item.delete()
        for (item, _row), link in zip(built_incomes, income_links, strict=True):
            if link and link[0] == "new":
                item.member = built_members[link[1]][0]
            elif link:
                item.member_id = link[1]
            elif "member" in _row or "member_id_number" in _row:
                item.member = None
            old = income_snapshot(existing_incomes[item.pk]) if item.pk else None
            if item.pk:
                old = income_snapshot(IncomeItem.objects.get(pk=item.pk))
            item.save()
            if old is None:
                record(actor=actor, action="income.added", obj=household, division_code=household.division_code,
                       after=income_snapshot(item))
            else:
                _event(actor, "income.updated", household, old, income_snapshot(item))
    if asset_rows is not None:
        kept = {a.pk for a, _row in built_assets if a.pk}
        for pk, asset in existing_assets.items():
            if pk not in kept:
                record(actor=actor, action="asset.removed", obj=household, division_code=household.division_code,
                       before=asset_snapshot(asset))
                asset.delete()
        for asset, _row in built_assets:
            old = asset_snapshot(Asset.objects.get(pk=asset.pk)) if asset.pk else None
            asset.save()
            if old is None:
                record(actor=actor, action="asset.added", obj=household, division_code=household.division_code,
                       after=asset_snapshot(asset))
            else:
                _event(actor, "asset.updated", household, old, asset_snapshot(asset))
    household_recalculate(household=household)


def _deactivate(actor, household, member):
    before = member_snapshot(member)
    member.is_active = False
    if member.relationship == Member.Relationship.HEAD:
        pass  # the partial unique index only covers active heads
    member.save(update_fields=["is_active"])
    _event(actor, "member.removed", household, before, member_snapshot(member))


# ---------------------------------------------------------------- single-member services
@transaction.atomic
def member_add(*, actor, household: Household, version: int, data: dict) -> Member:
    household = _lock(actor, household.pk)
    rows = [member_row(m) for m in household.members.filter(is_active=True).select_related("person")]
    household_update(actor=actor, household=household, version=version, data={"members": [*rows, data]})
    return household.members.filter(is_active=True).order_by("-id").first()


@transaction.atomic
def member_remove(*, actor, member: Member, version: int) -> None:
    """The member leaves: is_active False, kept in history."""
    household = _lock(actor, member.household_id)
    if int(version) != household.version:
        raise StaleVersion(_("Someone else changed this household after you opened it."))
    if member.relationship == Member.Relationship.HEAD:
        raise InvalidInput(fields={"members": [_("Choose another head before removing the head.")]})
    _deactivate(actor, household, member)
    household.version += 1
    household.save(update_fields=["version", "updated_at"])
    household_recalculate(household=household)


def member_row(m: Member) -> dict:
    return {"id": m.pk, **{f: getattr(m, f) for f in MEMBER_FIELDS}}


# ---------------------------------------------------------------- recalculation
def household_figures(household: Household, *, on_date: date | None = None, members=None, incomes=None,
                      assets=None) -> dict:
    on_date = on_date or timezone.localdate()
    members = list(household.members.all()) if members is None else members
    incomes = list(household.incomes.all()) if incomes is None else incomes
    assets = list(household.assets.all()) if assets is None else assets
    standard = standard_in_force(household.division_code, on_date)
    policy = income_policy_in_force(household.division_code, on_date)
    amount = standard.monthly_amount if standard else None
    fig = compute_income(members=members, incomes=incomes, policy=policy, standard_amount=amount)
    active = [m for m in members if m.is_active]
    return {
        "standard": standard, "policy": policy, "income": fig,
        "size": len(active), "counted_members": fig.counted_members,
        "elderly_count": sum(1 for m in active if age_on(m.birth_date, on_date) >= ELDERLY_AGE),
        "minor_count": sum(1 for m in active if age_on(m.birth_date, on_date) < MINOR_AGE),
        "disabled_count": sum(1 for m in active if m.is_severely_disabled),
        "seriously_ill_count": sum(1 for m in active if m.health == Member.Health.SERIOUS),
        "asset_reasons": asset_check_reasons(assets=assets, counted_members=fig.counted_members, policy=policy,
                                             standard_amount=amount),
    }


DENORMALISED = ("size", "counted_members", "elderly_count", "minor_count", "disabled_count",
                "seriously_ill_count", "monthly_counted_income", "per_capita_monthly_income")


def household_recalculate(*, household: Household, on_date: date | None = None) -> Household:
    """Keep the denormalised figures current; called by every write above."""
    f = household_figures(household, on_date=on_date, members=list(Member.objects.filter(household=household)),
                          incomes=list(IncomeItem.objects.filter(household=household)),
                          assets=[])
    household.size, household.counted_members = f["size"], f["counted_members"]
    household.elderly_count, household.minor_count = f["elderly_count"], f["minor_count"]
    household.disabled_count, household.seriously_ill_count = f["disabled_count"], f["seriously_ill_count"]
    household.monthly_counted_income = f["income"].monthly_counted_income
    household.per_capita_monthly_income = f["income"].per_capita_monthly_income
    head = Member.objects.filter(household=household, is_active=True, relationship=Member.Relationship.HEAD).first()
    household.head_name = head.name if head else ""
    Household.objects.filter(pk=household.pk).update(head_name=household.head_name,
                                                     **{k: getattr(household, k) for k in DENORMALISED})
    return household


# ---------------------------------------------------------------- standards
@transaction.atomic
def standard_create(*, actor, county: Division, monthly_amount: Decimal, effective_from: date) -> Standard:
    require_role(actor, Role.COUNTY_OFFICER)
    if county.level != Level.COUNTY:
        raise InvalidInput(fields={"county": [_("A standard belongs to a county.")]})
    if not actor.is_admin_role and actor.division_id != county.pk:
        raise NotPermitted(_("Only officers of this county may set its standard."))
    if Standard.objects.filter(county=county, effective_from=effective_from).exists():
        raise InvalidInput(fields={"effective_from": [_("This county already has a standard from this date.")]})
    standard = Standard(county=county, monthly_amount=monthly_amount, effective_from=effective_from,
                        created_by=actor)
    try:
        standard.full_clean()
    except ValidationError as exc:
        raise InvalidInput(fields={("non_field_errors" if k == "__all__" else k): v
                                   for k, v in exc.message_dict.items()}) from None
    standard.save()
    record(actor=actor, action="standard.created", obj=standard, division_code=county.code,
           after={"county": county.code, "monthly_amount": monthly_amount, "effective_from": effective_from})
    return standard


__all__ = ["household_create", "household_update", "member_add", "member_remove", "household_recalculate",
           "household_figures", "standard_create", "Person"]
