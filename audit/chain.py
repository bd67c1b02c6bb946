"""The audit log's hash chain: tamper evidence on top of the append-only triggers.

Each committed event gets one link (`AuditChainLink`): link n stores
`hash_n = H(seq n, hash_(n-1), the event's content)`, so changing, deleting or reordering any event
- even as the table owner with the triggers disabled - breaks the chain at that link, and
`verify_chain` names the first broken one. H is SHA-256, or SM3 when `DIBAO_CRYPTO=sm`; each link
names its algorithm, so switching the setting leaves older links verifiable.

Why links are sealed after commit rather than inside the writer's transaction: an event's predecessor
must be committed (or a second transaction would chain onto a link it cannot see, and the chain
forks), and holding one lock from an event's insert to its commit would make every audited write in
the system wait for every other. Instead `record()` asks for `seal_pending` after its transaction
commits: it takes one transaction-level advisory lock (PostgreSQL; SQLite writers are serial anyway),
reads the last link and chains every committed event still without one, in id order. Two sealers never
interleave, so the chain is one line; an event committed late (a lower id than the last sealed one)
is simply sealed later, with a higher sequence number. If a process dies between its commit and the
seal, the next seal anywhere picks the event up, and the nightly job seals everything before it
verifies.
"""

import hashlib
import json
import logging
from dataclasses import asdict, dataclass
from datetime import UTC, timedelta

from cryptography.hazmat.primitives import hashes
from django.conf import settings
from django.db import connection, transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone

from audit.models import AuditChainCheck, AuditChainLink, AuditEvent

logger = logging.getLogger("dibao.audit.chain")

GENESIS = "0" * 64
# pg_advisory_xact_lock key of the sealer ("dibao-ch" in ASCII).
LOCK_KEY = 0x646962616F2D6368
# The event's columns that the hash covers (everything but the chain itself).
FIELDS = ("id", "created_at", "actor_id", "actor_username", "action", "object_type", "object_id",
          "division_code", "before", "after", "request_id", "ip")
# After-commit sealing looks this far back for events without a link; the nightly job looks at all.
RECENT = timedelta(hours=1)
# An event still without a link after this long is reported by the verification.
UNSEALED_GRACE = timedelta(hours=1)


def algorithm() -> str:
    """The hash of new links: SM3 under the national-algorithm setting, SHA-256 otherwise."""
    return "sm3" if settings.CRYPTO_ALGORITHM == "sm" else "sha256"


def _digest(name: str, data: bytes) -> str:
    if name in hashlib.algorithms_available:
        return hashlib.new(name, data).hexdigest()
    if name == "sm3":  # an OpenSSL build without SM3: the cryptography package has its own
        h = hashes.Hash(hashes.SM3())
        h.update(data)
        return h.finalize().hex()
    raise ValueError(f"unknown hash algorithm {name!r}")


def _canonical(event: dict) -> bytes:
    values = dict(event)
    created = values["created_at"]
    values["created_at"] = created.astimezone(UTC).isoformat() if created else None
    values["ip"] = str(values["ip"]) if values["ip"] else None
    return json.dumps(values, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str).encode()


def link_hash(name: str, seq: int, prev_hash: str, event: dict) -> str:
    return _digest(name, f"{seq}\n{prev_hash}\n".encode() + _canonical(event))


def _lock() -> None:
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [LOCK_KEY])


def _unsealed():
    return AuditEvent.objects.filter(~Exists(AuditChainLink.objects.filter(event_id=OuterRef("pk"))))


def seal_pending(*, everything: bool = False, batch: int = 2000) -> int:
    """Give every committed event without a link its link, in id order. Returns how many were sealed."""
    sealed = 0
    while True:
        with transaction.atomic():
            _lock()
            last = AuditChainLink.objects.order_by("-seq").values("seq", "hash").first()
            seq, prev = (last["seq"], last["hash"]) if last else (0, GENESIS)
            events = _unsealed()
            if not everything:
                events = events.filter(created_at__gte=timezone.now() - RECENT)
            rows = list(events.order_by("id").values(*FIELDS)[:batch])
            if not rows:
                return sealed
            name = algorithm()
            links = []
            for row in rows:
                seq += 1
                digest = link_hash(name, seq, prev, row)
                links.append(AuditChainLink(seq=seq, event_id=row["id"], prev_hash=prev, hash=digest, algorithm=name))
                prev = digest
            AuditChainLink.objects.bulk_create(links)
            sealed += len(links)
        if len(rows) < batch:
            return sealed


def _seal_after_commit() -> None:
    seal_pending()


def seal_after_commit() -> None:
    """Ask for `seal_pending` once after the current transaction commits (now, outside one)."""
    if connection.in_atomic_block and any(entry[1] is _seal_after_commit for entry in connection.run_on_commit):
        return
    # robust: a failed seal must not fail the request whose change is already committed; the next
    # seal (any request's, or the nightly job's) chains what this one left.
    transaction.on_commit(_seal_after_commit, robust=True)


@dataclass
class ChainReport:
    ok: bool
    links_checked: int
    head_seq: int | None = None
    head_hash: str = ""
    broken_seq: int | None = None
    broken_event_id: int | None = None
    reason: str = ""

    def as_dict(self) -> dict:
        return asdict(self)


def verify_chain(*, batch: int = 2000) -> ChainReport:
    """Walk the chain from the first link; report the first link that does not hold.

    A link breaks when its sequence number skips (a link removed), its previous hash is not the
    previous link's hash (links reordered or rewritten), its event is gone (deleted), or the hash
    recomputed from the event's current content differs (the event, or the link, was edited). An
    event left without a link for longer than UNSEALED_GRACE is reported too (inserted behind the
    sealer's back, or a sealer that keeps failing).
    """
    expected_seq, prev, checked = 1, GENESIS, 0
    after = 0
    while True:
        links = list(AuditChainLink.objects.filter(seq__gt=after).order_by("seq")[:batch])
        if not links:
            break
        events = {row["id"]: row for row in AuditEvent.objects.filter(
            pk__in=[link.event_id for link in links]).values(*FIELDS)}
        for link in links:
            reason = None
            event = events.get(link.event_id)
            if link.seq != expected_seq:
                reason = f"link {expected_seq} is missing"
            elif link.prev_hash != prev:
                reason = "previous hash does not match the previous link"
            elif event is None:
                reason = f"event {link.event_id} was deleted"
            elif link_hash(link.algorithm, link.seq, link.prev_hash, event) != link.hash:
                reason = f"event {link.event_id} was changed after it was sealed"
            if reason:
                return ChainReport(ok=False, links_checked=checked, head_seq=expected_seq - 1 or None,
                                   head_hash=prev if checked else "", broken_seq=link.seq,
                                   broken_event_id=link.event_id, reason=reason)
            checked += 1
            expected_seq, prev = link.seq + 1, link.hash
        after = links[-1].seq
    stale = _unsealed().filter(created_at__lt=timezone.now() - UNSEALED_GRACE).order_by("id").values_list(
        "id", flat=True).first()
    report = ChainReport(ok=stale is None, links_checked=checked, head_seq=expected_seq - 1 or None,
                         head_hash=prev if checked else "")
    if stale is not None:
        report.broken_event_id = stale
        report.reason = f"event {stale} has no link (inserted outside the application?)"
    return report


def record_check(report: ChainReport) -> AuditChainCheck:
    """Keep the outcome (the metrics read the latest) and log it; a broken chain logs an error (the alert)."""
    check = AuditChainCheck.objects.create(**report.as_dict())
    if report.ok:
        logger.info("audit chain verified", extra={"links_checked": report.links_checked,
                                                   "head_seq": report.head_seq, "head_hash": report.head_hash})
    else:
        logger.error("audit chain broken", extra={"alert": "AuditChainBroken", **report.as_dict()})
    return check
