"""Key rotation: re-encrypt every encrypted column and file with the current suite and key version.

Run by `manage.py rotate_keys` as a job with progress. Rows go in short transactions of
settings.KEY_ROTATION_BATCH (locked only for their batch), so the site keeps serving; rows already
on the current keys (Person.key_state) and files already sealed with them are skipped, so a run that
was killed is simply started again. Blind indexes are recomputed from the decrypted numbers; a
number that would end up under the same index as another row (one real person stored twice, e.g.
after a key was changed without rotating) is not merged but reported, and the row keeps its old keys.
The other encrypted columns (a household's contact phone and bank account, a payment line's bank account,
a staged go-live row's ID number) are re-sealed by their models' `reseal()`: see sealed_models().
"""

from collections.abc import Callable
from pathlib import Path

from django.apps import apps
from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Count
from django.utils.translation import gettext as _

from audit.services import record
from dibao import filecrypt
from dibao.crypto import DecryptionFailed
from households import crypto
from households.models import Member, Person
from jobs.models import Job
from jobs.services import job_create, job_fail, job_progress, job_start, job_succeed

KIND = "rotate_keys"
# Folders under VAR_DIR whose files are encrypted (documents, exports, registry uploads and error lists).
FILE_FOLDERS = ("documents", "exports", "imports")
ERRORS_KEPT = 200


def rotation_start(*, actor=None) -> Job:
    ring = crypto.keyring()
    with transaction.atomic():
        job = job_create(actor=actor, kind=KIND, params={"target": ring.state})
        record(actor=actor, action="keys.rotation_start", object_type="jobs.job", object_id=job.pk,
               after={"target": ring.state})
    return job


def encrypted_files() -> list[Path]:
    root = Path(settings.VAR_DIR)
    return sorted(path for folder in FILE_FOLDERS if (root / folder).is_dir()
                  for path in (root / folder).iterdir() if path.is_file() and not path.name.endswith(".part"))


def rotation_run(*, job_id: int, batch_size: int | None = None,
                 on_progress: Callable[[dict], None] | None = None) -> dict:
    """Rotate everything not yet on the current keys; returns the counts (also kept on the job)."""
    ring = crypto.keyring()
    batch_size = batch_size or settings.KEY_ROTATION_BATCH
    if not job_start(job_id=job_id):
        return Job.objects.get(pk=job_id).counts
    counts = {"persons_to_rotate": Person.objects.exclude(key_state=ring.state).count(), "persons_rotated": 0,
              "persons_failed": 0, "duplicates": 0, "files_rotated": 0, "files_current": 0, "files_failed": 0}
    for model in sealed_models():
        counts[f"{model._meta.label_lower}_to_rotate"] = stale_rows(model, ring).count()
        counts[f"{model._meta.label_lower}_rotated"] = counts[f"{model._meta.label_lower}_failed"] = 0
    errors: list[dict] = []
    files = encrypted_files()
    total = max(1, sum(v for k, v in counts.items() if k.endswith("_to_rotate")) + len(files))

    def progress():
        done = sum(v for k, v in counts.items() if k.endswith(("_rotated", "_failed", "_current")) or k == "duplicates")
        job_progress(job_id=job_id, progress=min(99, done * 100 // total), counts=dict(counts))
        if on_progress:
            on_progress(dict(counts))

    try:
        last_pk = 0
        while True:
            last_pk, more = _rotate_batch(ring, last_pk, batch_size, counts, errors)
            progress()
            if not more:
                break
        for model in sealed_models():
            _rotate_sealed(model, ring, batch_size, counts, errors, progress)
        for path in files:
            try:
                counts["files_rotated" if filecrypt.reencrypt(path) else "files_current"] += 1
            except FileNotFoundError:
                continue  # deleted meanwhile (an export expired, an import finished)
            except DecryptionFailed:
                counts["files_failed"] += 1
                _keep(errors, {"file": filecrypt.context_of(path), "reason": "cannot be decrypted with any key"})
            progress()
    except Exception as exc:
        job_fail(job_id=job_id, message=_("The key rotation stopped: %(error)s") % {"error": type(exc).__name__},
                 errors=errors, counts=counts)
        raise
    problems = counts["persons_failed"] + counts["duplicates"] + counts["files_failed"] + sum(
        v for k, v in counts.items() if k.endswith("_failed") and k not in ("persons_failed", "files_failed"))
    with transaction.atomic():
        record(actor=None, action="keys.rotation_end", object_type="jobs.job", object_id=job_id,
               after={"target": ring.state, **counts})
    if problems:
        job_fail(job_id=job_id, message=_("The key rotation finished, but %(n)d records or files could not be moved "
                                          "to the new keys; see the list below.") % {"n": problems},
                 errors=errors, counts=counts)
    else:
        job_succeed(job_id=job_id, counts=counts, errors=errors,
                    message=_("Every encrypted record and file now uses the current keys."))
    return counts


def _keep(errors: list, error: dict) -> None:
    if len(errors) < ERRORS_KEPT:
        errors.append(error)


def _rotate_batch(ring, last_pk: int, batch_size: int, counts: dict, errors: list) -> tuple[int, bool]:
    with transaction.atomic():
        batch = list(Person.objects.select_for_update().filter(pk__gt=last_pk).exclude(key_state=ring.state)
                     .order_by("pk").only("id", "id_hash", "id_encrypted", "name")[:batch_size])
        if not batch:
            return last_pk, False
        rotated = []
        for person in batch:
            try:
                number = crypto.decrypt_id(person.id_encrypted, id_hash=person.id_hash, ring=ring)
            except DecryptionFailed:
                counts["persons_failed"] += 1
                _keep(errors, {"person": person.pk, "reason": "cannot be decrypted with any key"})
                continue
            fields = crypto.person_key_fields(number, person.name, ring)
            for name, value in fields.items():
                setattr(person, name, value)
            rotated.append(person)
        fields = ["id_hash", "id_encrypted", "id_suffix_hash", "key_state"]
        try:
            with transaction.atomic():
                Person.objects.bulk_update(rotated, fields)
            clean = rotated
        except IntegrityError:
            # A number already stored under its new index by another row (one person in two rows): row by
            # row under savepoints, so only that row fails, is reported, and keeps its old keys.
            clean = []
            for person in rotated:
                try:
                    with transaction.atomic():
                        Person.objects.bulk_update([person], fields)
                except IntegrityError:
                    counts["duplicates"] += 1
                    twin = Person.objects.filter(id_hash=person.id_hash).values_list("pk", flat=True).first()
                    _keep(errors, {"person": person.pk, "same_person_as": twin,
                                   "reason": "the same ID number is stored in two person rows"})
                    continue
                clean.append(person)
        counts["persons_rotated"] += len(clean)
        return batch[-1].pk, len(batch) == batch_size


def sealed_models() -> list:
    """The models besides Person with encrypted columns: each has `reseal()` (seal its values anew with the
    current keys) and SEALED_COLUMNS (what that writes). Found through the app registry, so the apps above
    households (recipients' payment lines, golive's staged rows) take part without households importing them."""
    return [model for model in apps.get_models() if hasattr(model, "reseal") and hasattr(model, "SEALED_COLUMNS")]


def stale_rows(model, ring):
    """The rows of `model` not yet on the current keys."""
    if hasattr(model, "stale_rows"):
        return model.stale_rows(ring)
    return model.objects.exclude(key_state=ring.state)


def _rotate_sealed(model, ring, batch_size: int, counts: dict, errors: list, progress) -> None:
    label = model._meta.label_lower
    last_pk = 0
    while True:
        with transaction.atomic():
            batch = list(stale_rows(model, ring).select_for_update().filter(pk__gt=last_pk).order_by("pk")
                         [:batch_size])
            if not batch:
                return
            rotated = []
            for row in batch:
                try:
                    row.reseal()
                except DecryptionFailed:
                    counts[f"{label}_failed"] += 1
                    _keep(errors, {label: row.pk, "reason": "cannot be decrypted with any key"})
                    continue
                rotated.append(row)
            model.objects.bulk_update(rotated, list(model.SEALED_COLUMNS))
            counts[f"{label}_rotated"] += len(rotated)
            last_pk = batch[-1].pk
        progress()


def rotation_check() -> dict:
    """After a rotation: every row on the current keys and decrypting, one row per ID number, and
    "one active household per person" holding. Returns the problems found (empty when all hold)."""
    ring = crypto.keyring()
    problems: dict = {}
    stale = Person.objects.exclude(key_state=ring.state).count()
    if stale:
        problems["persons_on_old_keys"] = stale
    for model in sealed_models():
        stale = stale_rows(model, ring).count()
        if stale:
            problems[f"{model._meta.label_lower}_on_old_keys"] = stale
    numbers: dict[str, int] = {}
    for pk, id_hash, blob in Person.objects.values_list("id", "id_hash", "id_encrypted").iterator(chunk_size=2000):
        try:
            number = crypto.decrypt_id(blob, id_hash=id_hash, ring=ring)
        except DecryptionFailed:
            problems.setdefault("persons_not_decrypting", []).append(pk)
            continue
        if ring.blind_index(number) != id_hash:
            problems.setdefault("persons_with_stale_index", []).append(pk)
        if number in numbers:
            problems.setdefault("persons_stored_twice", []).append((numbers[number], pk))
        numbers[number] = pk
    for name, found in problems.items():
        if isinstance(found, list) and len(found) > 20:
            problems[name] = found[:20] + [f"... {len(found)} in all"]
    twice_active = (Member.objects.filter(is_active=True).values("person_id").order_by()
                    .annotate(n=Count("id")).filter(n__gt=1).count())
    if twice_active:
        problems["persons_active_in_two_households"] = twice_active
    return problems
