"""Bulk inserts for the import: one COPY per model on PostgreSQL, bulk_create elsewhere (SQLite, the embedded mode).

Django's bulk_create spends most of its time compiling a parameterised INSERT (a prepare step per field per
row); COPY takes the rows as text. The ids are taken from the table's sequence first, so the objects have
their primary keys for the rows that refer to them, as after bulk_create.
"""

import io
import json
import re
from datetime import date
from decimal import Decimal

from django.core.serializers.json import DjangoJSONEncoder
from django.db import connection
from django.db.models import JSONField
from django.utils import timezone

_SPECIAL = re.compile(r"[\\\t\n\r]")


def copy_text(value) -> str:
    kind = type(value)
    if kind is str:  # most values: escaped only when they hold a special character
        if _SPECIAL.search(value) is None:
            return value
        return value.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r")
    if kind is int:
        return str(value)
    if value is None:
        return "\\N"
    if isinstance(value, bool):
        return "t" if value else "f"
    if isinstance(value, bytes | memoryview):
        return "\\\\x" + bytes(value).hex()
    if isinstance(value, date):
        text = value.isoformat()
    elif isinstance(value, int | Decimal):
        return str(value)
    else:
        text = str(value)
    return text.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r")


def insert(objs: list) -> list:
    """Insert unsaved model instances of one model; their pk is set. Returns them."""
    if not objs:
        return objs
    model = type(objs[0])
    if connection.vendor != "postgresql":
        model.objects.bulk_create(objs, batch_size=1000)
        return objs
    meta = model._meta
    fields = [f for f in meta.concrete_fields if not f.primary_key]
    with connection.cursor() as cursor:
        cursor.execute("SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
                       [meta.db_table, meta.pk.column, len(objs)])
        for obj, (pk,) in zip(objs, cursor.fetchall(), strict=True):
            obj.pk = pk
        buffer = io.StringIO()
        for obj in objs:
            values = [str(obj.pk)]
            for f in fields:
                value = f.pre_save(obj, add=True)
                if isinstance(f, JSONField):
                    value = None if value is None else json.dumps(value, cls=DjangoJSONEncoder)
                values.append(copy_text(value))
            buffer.write("\t".join(values))
            buffer.write("\n")
        buffer.seek(0)
        columns = ", ".join(connection.ops.quote_name(c) for c in [meta.pk.column, *(f.column for f in fields)])
        cursor.cursor.copy_expert(f"COPY {connection.ops.quote_name(meta.db_table)} ({columns}) FROM STDIN", buffer)
    for obj in objs:
        obj._state.adding = False
        obj._state.db = "default"
    return objs


def copy_rows(model, rows: list[dict], *, ignore_conflicts: bool = False) -> list[int]:
    """Insert rows given as {attname: value} (the other fields take their defaults) without model instances:
    one COPY on PostgreSQL (through a temporary table and INSERT ... ON CONFLICT DO NOTHING when
    `ignore_conflicts`), bulk_create elsewhere. Returns the ids, in the rows' order (a conflicting row's id is
    allocated but unused)."""
    if not rows:
        return []
    meta = model._meta
    fields = [f for f in meta.concrete_fields if not f.primary_key]
    now = timezone.now()
    defaults = {f.attname: now if getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False)
                else f.get_default() for f in fields}
    if connection.vendor != "postgresql":
        objs = [model(**{**defaults, **row}) for row in rows]
        model.objects.bulk_create(objs, batch_size=1000, ignore_conflicts=ignore_conflicts)
        if ignore_conflicts:
            return [getattr(o, "pk", None) for o in objs]
        return [o.pk for o in objs]
    plan = [(f.attname, isinstance(f, JSONField), defaults[f.attname]) for f in fields]
    table = connection.ops.quote_name(meta.db_table)
    columns = ", ".join(connection.ops.quote_name(c) for c in [meta.pk.column, *(f.column for f in fields)])
    with connection.cursor() as cursor:
        cursor.execute("SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
                       [meta.db_table, meta.pk.column, len(rows)])
        ids = [pk for (pk,) in cursor.fetchall()]
        lines = []
        for pk, row in zip(ids, rows, strict=True):
            values = [str(pk)]
            for name, is_json, default in plan:
                value = row.get(name, default)
                if is_json:
                    value = None if value is None else json.dumps(value, cls=DjangoJSONEncoder)
                values.append(copy_text(value))
            lines.append("\t".join(values))
        buffer = io.StringIO("\n".join(lines) + "\n")
        if ignore_conflicts:
            cursor.execute(f"CREATE TEMPORARY TABLE IF NOT EXISTS golive_copy_{meta.db_table} "
                           f"(LIKE {table} INCLUDING DEFAULTS)")
            cursor.execute(f"TRUNCATE golive_copy_{meta.db_table}")
            cursor.cursor.copy_expert(f"COPY golive_copy_{meta.db_table} ({columns}) FROM STDIN", buffer)
            cursor.execute(f"INSERT INTO {table} ({columns}) SELECT {columns} FROM golive_copy_{meta.db_table} "
                           "ON CONFLICT DO NOTHING")
        else:
            cursor.cursor.copy_expert(f"COPY {table} ({columns}) FROM STDIN", buffer)
    return ids
