"""Benchmark data for the reports benchmarks: N households with one case each, set-based.

Persons are encrypted in Python (the ID number must be AES-GCM encrypted like real data) and
loaded with COPY; households, members, cases and payment lines are INSERT ... SELECT over
generate_series. Everything lives under the bench county 379902 so it never mixes with other data.
Re-running with the same N reuses the data; another N rebuilds it.
"""

import io
import os
import sys
import time
from datetime import date, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dibao.settings")

REGION = "379902"
PROVINCE, CITY, COUNTY = "370000000000", "379900000000", "379902000000"
TOWNSHIPS = 5
VILLAGES_PER_TOWNSHIP = 20
AUDITOR = "bench_reports_auditor"


def setup_django():
    import django

    django.setup()
    from django.db import connection

    if connection.vendor != "postgresql":
        sys.exit("Set DATABASE_URL to a PostgreSQL database (for example postgres://postgres@127.0.0.1:5432/dibao_bench).")


def ensure_divisions():
    from accounts.models import Division, User

    def get(code, name, level, parent, population=None):
        division, _ = Division.objects.get_or_create(code=code, defaults={
            "name": name, "level": level, "parent": parent, "population": population})
        return division

    province = get(PROVINCE, "山东省", "province", None)
    city = get(CITY, "Bench city", "city", province)
    county = get(COUNTY, "Bench county", "county", city)
    for t in range(1, TOWNSHIPS + 1):
        township = get(f"{REGION}{100 + t:03d}000", f"Bench township {t}", "township", county)
        for v in range(1, VILLAGES_PER_TOWNSHIP + 1):
            get(f"{township.code[:9]}{200 + v:03d}", f"Bench village {t}-{v}", "village", township, 1500)
    user = User.objects.filter(username=AUDITOR).first()
    if user is None:
        user = User.objects.create_user(username=AUDITOR, password="Bench-reports-2026", role="auditor", division=county)
    return county, user


def bench_case_count() -> int:
    from cases.models import Case

    return Case.objects.filter(division_code__startswith=REGION).count()


def wipe(cursor):
    like = REGION + "%"
    cursor.execute("DELETE FROM recipients_paymentline WHERE village_code LIKE %s", [like])
    cursor.execute("DELETE FROM recipients_paymentroll WHERE county_id IN (SELECT id FROM accounts_division WHERE code = %s)",
                   [COUNTY])
    cursor.execute("DELETE FROM cases_case WHERE division_code LIKE %s", [like])
    cursor.execute("DELETE FROM households_member WHERE household_id IN "
                   "(SELECT id FROM households_household WHERE division_code LIKE %s)", [like])
    cursor.execute("DELETE FROM households_household WHERE division_code LIKE %s", [like])
    cursor.execute("DELETE FROM households_person WHERE region_code = %s", [REGION])


def load_persons(cursor, n: int):
    from households import crypto
    from households.idnumber import make_id_number

    start = date(1940, 1, 1)
    columns = ("id_hash", "id_encrypted", "key_state", "name", "name_pinyin", "birth_date", "sex", "region_code", "created_at")
    batch = 50_000
    for first in range(0, n, batch):
        buffer = io.StringIO()
        for i in range(first, min(n, first + batch)):
            birth = start + timedelta(days=i // 1000)
            number = make_id_number(REGION, birth, i % 1000)
            fields = crypto.person_key_fields(number, f"张{i % 97}")
            sex = "M" if (i % 1000) % 2 == 1 else "F"
            buffer.write(f"{fields['id_hash']}\t\\\\x{fields['id_encrypted'].hex()}\t{fields['key_state']}\t张{i % 97}\tzhang\t{birth}\t{sex}\t{REGION}\t2026-01-01 00:00:00+08\n")
        buffer.seek(0)
        cursor.copy_from(buffer, "households_person", columns=columns)


def generate(n: int, *, quiet: bool = False):
    """Make sure exactly n bench households with one case each exist."""
    from django.db import connection, transaction

    county, user = ensure_divisions()
    if bench_case_count() == n:
        return county, user
    started = time.perf_counter()
    with transaction.atomic(), connection.cursor() as cursor:
        wipe(cursor)
        load_persons(cursor.cursor, n)
        cursor.execute("""
            CREATE TEMP TABLE bench_villages ON COMMIT DROP AS
            SELECT id, code, name, row_number() OVER (ORDER BY code) - 1 AS k
            FROM accounts_division WHERE level = 'village' AND code LIKE %s""", [REGION + "%"])
        cursor.execute("SELECT count(*) FROM bench_villages")
        villages = cursor.fetchone()[0]
        cursor.execute("""
            INSERT INTO households_household (division_code, address, registration_type, crypto_row,
                phone_encrypted, phone_hash, phone_last4_hash, bank_name, bank_account_encrypted, bank_account_hash,
                key_state, head_name, version, size, counted_members, elderly_count, minor_count, disabled_count,
                seriously_ill_count, monthly_counted_income, per_capita_monthly_income, is_active, created_at,
                updated_at, village_id)
            SELECT v.code, v.name || ' ' || g || '号', 'rural', gen_random_uuid(), ''::bytea, '', '', '',
                ''::bytea, '', '', '张' || (g %% 97), 1, 1 + g %% 5,
                1 + g %% 5, 0, 0, 0, 0, 0, 0, true, now(), now(), v.id
            FROM generate_series(0, %s - 1) g JOIN bench_villages v ON v.k = g %% %s""", [n, villages])
        cursor.execute("""
            INSERT INTO households_member (name, relationship, sex, birth_date, labour_capacity, health, disability_type,
                student_level, counted, not_counted_reason, not_counted_note, is_active, household_id, person_id)
            SELECT p.name, 'head', p.sex, p.birth_date, 'full', 'healthy', '', '', true, '', '', true, h.id, p.id
            FROM (SELECT id, row_number() OVER (ORDER BY id) rn FROM households_household WHERE division_code LIKE %s) h
            JOIN (SELECT id, name, sex, birth_date, row_number() OVER (ORDER BY id) rn FROM households_person
                  WHERE region_code = %s) p ON p.rn = h.rn""", [REGION + "%", REGION])
        # Status mix per ten households: 6 active, 1 gradual exit, 1 closed, 1 rejected, 1 pending.
        cursor.execute("""
            INSERT INTO cases_case (household_id, division_code, status, applicant_id, reason, authorisation_signed,
                staff_relative, staff_relative_relation, staff_relative_to, category, monthly_amount, entered_by_id,
                submitted_at, accepted_at, decided_at, closed_at, deadline, version, created_at, updated_at,
                deadline_extended, deadline_uncertain, exit_reason, extension_reason, investigation_round,
                return_reasons, step_name)
            SELECT h.id, h.division_code,
                (ARRAY['active','active','active','active','active','active','gradual_exit','closed','rejected',
                       'under_investigation'])[1 + h.rn %% 10],
                m.id, '', true, h.rn %% 50 = 0, '', '', 'B',
                CASE WHEN h.rn %% 10 < 8 THEN 200 + (h.rn %% 600) END,
                %s,
                s.sub, s.sub + interval '2 days',
                CASE WHEN h.rn %% 10 < 9 THEN s.sub + interval '2 days' + (10 + h.rn %% 30) * interval '1 day' END,
                CASE WHEN h.rn %% 10 = 7 THEN s.sub + interval '120 days' END,
                (s.sub + interval '44 days')::date, 1, s.sub, now(), false, false, '', '', 1, '', ''
            FROM (SELECT id, division_code, row_number() OVER (ORDER BY id) rn FROM households_household
                  WHERE division_code LIKE %s) h
            JOIN households_member m ON m.household_id = h.id
            CROSS JOIN LATERAL (SELECT now() - (h.rn %% 540) * interval '1 day' AS sub) s""",
                       [user.pk, REGION + "%"])
        # Finalised payment rolls for the last three months, one line per case being paid.
        for back in range(1, 4):
            cursor.execute("""
                INSERT INTO recipients_paymentroll (county_id, month, status, line_count, total_amount, version)
                VALUES (%s, (date_trunc('month', now()) - %s * interval '1 month')::date, 'finalised', 0, 0, 1)
                RETURNING id""", [county.pk, back])
            roll_id = cursor.fetchone()[0]
            cursor.execute("""
                INSERT INTO recipients_paymentline (roll_id, case_id, household_id, village_code, village_name,
                    payee_name, payee_id_masked, bank_name, crypto_row, bank_account_encrypted, key_state,
                    full_amount, percent, amount)
                SELECT %s, c.id, c.household_id, c.division_code, '', '', '', '', gen_random_uuid(), ''::bytea, '',
                    c.monthly_amount, 100,
                    c.monthly_amount
                FROM cases_case c WHERE c.division_code LIKE %s AND c.status IN ('active', 'gradual_exit')""",
                           [roll_id, REGION + "%"])
    with connection.cursor() as cursor:
        for table in ("households_person", "households_household", "households_member", "cases_case",
                      "recipients_paymentline"):
            cursor.execute(f"ANALYZE {table}")
    if not quiet:
        print(f"generated {n:,} households with cases in {time.perf_counter() - started:.1f} s")
    return county, user
