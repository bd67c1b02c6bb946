"""Bulk inserts for the import: one COPY per model on PostgreSQL, bulk_create elsewhere (SQLite, the embedded mode).

Django's bulk_create spends most of its time compiling a parameterised INSERT (a prepare step per field per
row); COPY takes the rows as text. The ids are taken from the table's sequence first, so the objects have
their primary keys for the rows that refer to them, as after bulk_create.
"""

import io
import json
from datetime import date
from decimal import Decimal

from django.core.serializers.json import DjangoJSONEncoder
from django.db import connection
from django.db.models import JSONField


def _text(value) -> str:
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
                values.append(_text(value))
            buffer.write("\t".join(values))
            buffer.write("\n")
        buffer.seek(0)
        columns = ", ".join(connection.ops.quote_name(c) for c in [meta.pk.column, *(f.column for f in fields)])
        cursor.cursor.copy_expert(f"COPY {connection.ops.quote_name(meta.db_table)} ({columns}) FROM STDIN", buffer)
    for obj in objs:
        obj._state.adding = False
        obj._state.db = "default"
    return objs
