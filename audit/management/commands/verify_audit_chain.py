"""Verify the audit log's hash chain and name the first broken link (exit status 1 when broken)."""

import json

from django.core.management.base import BaseCommand, CommandError

from audit import chain


class Command(BaseCommand):
    help = "Chain the events still without a link, then verify the whole audit hash chain."

    def add_arguments(self, parser):
        parser.add_argument("--no-seal", action="store_true",
                            help="Verify only: do not chain events still without a link first.")
        parser.add_argument("--json", dest="as_json", action="store_true", help="Print the report as JSON.")

    def handle(self, *args, no_seal=False, as_json=False, **options):
        if not no_seal:
            chain.seal_pending(everything=True)
        report = chain.verify_chain()
        chain.record_check(report)
        if as_json:
            self.stdout.write(json.dumps(report.as_dict(), ensure_ascii=False))
        elif report.ok:
            self.stdout.write(f"The audit chain is intact: {report.links_checked} links, "
                              f"last #{report.head_seq} {report.head_hash}")
        if not report.ok:
            where = f"link #{report.broken_seq} (event {report.broken_event_id})" if report.broken_seq else \
                f"event {report.broken_event_id}"
            raise CommandError(f"The audit chain is broken at {where}: {report.reason}. "
                               f"{report.links_checked} links before it hold.", returncode=1)
