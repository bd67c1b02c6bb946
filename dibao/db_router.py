"""Send report and export reads to the replica when DATABASE_REPLICA_URL is set.

Only code that asks for it (`using(reporting_db())`) reads from the replica; the router keeps
every other read and all writes on the primary so nothing reads its own write stale.
"""

from django.conf import settings


def reporting_db() -> str:
    return "replica" if "replica" in settings.DATABASES else "default"


class ReplicaRouter:
    def db_for_read(self, model, **hints):
        return None

    def db_for_write(self, model, **hints):
        return "default"

    def allow_relation(self, obj1, obj2, **hints):
        return True

    def allow_migrate(self, db, app_label, model_name=None, **hints):
        return db == "default"
