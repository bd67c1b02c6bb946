"""manage.py rotate_keys: move every encrypted column and file to the current keys (households/rotation.py)."""

from django.core.management.base import BaseCommand, CommandError

from households import rotation


class Command(BaseCommand):
    help = ("Re-encrypt every encrypted column and file with the current DIBAO_CRYPTO suite and key versions, "
            "in batches, as a job with progress. Safe to run while the site serves and to run again after "
            "an interruption: what is already current is skipped. Keep the old key versions configured until "
            "it has finished without problems.")

    def add_arguments(self, parser):
        parser.add_argument("--batch", type=int, default=None, help="Rows per transaction (KEY_ROTATION_BATCH).")
        parser.add_argument("--check-only", action="store_true",
                            help="Only check that every row is current, decrypts and is unique.")

    def handle(self, *args, batch=None, check_only=False, **options):
        if not check_only:
            job = rotation.rotation_start()
            self.stdout.write(f"Key rotation job #{job.pk} to {job.params['target']}")
            counts = rotation.rotation_run(
                job_id=job.pk, batch_size=batch,
                on_progress=lambda c: self.stdout.write(
                    f"  persons {c['persons_rotated']}/{c['persons_to_rotate']}, files rotated {c['files_rotated']}"
                    f" (current {c['files_current']})"))
            self.stdout.write(f"Done: {counts}")
        problems = rotation.rotation_check()
        if problems:
            raise CommandError(f"Problems remain: {problems}")
        self.stdout.write(self.style.SUCCESS("Every encrypted value decrypts with the current keys; "
                                             "every ID number is stored once."))
