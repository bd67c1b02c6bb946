"""Members a re-import would remove: listed on the import job, removed only when a county officer confirms.

A re-import is each household's whole member list, so members a file no longer lists would leave the
registry. A file that lost rows (a truncated export, a stale <dimension> tag) must not silently remove
people: the import stops before the removals and saves them on the job (masked name, household code,
village); the officer reads the list on the job's page or API and confirms it (POST), and only then are they
removed. The confirmation removes only members still in the state the import saw: a household a newer
import has listed again keeps them.
"""

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Role
from accounts.scoping import require_role, scope_queryset
from audit import feed
from audit.services import record
from dibao.errors import Conflict, NotFound
from households.models import Person
from jobs.models import Job, JobStatus
from poverty_registry.importing import IMPORT_KIND
from poverty_registry.models import RegistryHousehold, RegistryMember, persons_roster_flags_refresh

CONFIRM_ROLES = (Role.COUNTY_OFFICER,)
ITEMS_SHOWN = 1000  # the page and API list this many; the confirmation applies to all of them
PENDING, APPLIED = "pending", "applied"


def removals_pending(described: list[dict]) -> dict:
    """What the job keeps: the list to show and the (household, person) pairs to remove on confirmation."""
    return {
        "state": PENDING, "count": len(described),
        "members": [{k: m[k] for k in ("name", "household", "year", "village", "village_code")}
                  for m in described[:ITEMS_SHOWN]],
        "pairs": [[m["household_id"], m["person_id"]] for m in described],
    }


def removals_shown(job: Job) -> dict | None:
    """The job's removals as the page and the API show them (without the internal ids), or None."""
    removals = (job.params or {}).get("removals")
    if not removals:
        return None
    return {k: v for k, v in removals.items() if k != "pairs"}


def access_import_by_id(actor, job_id, *, for_update: bool = False) -> Job:
    """An import job of the actor's area; out of area and missing look the same (404)."""
    jobs = Job.objects.filter(kind=IMPORT_KIND)
    if for_update:
        jobs = jobs.select_for_update()
    try:
        return scope_queryset(actor, jobs).get(pk=job_id)
    except (Job.DoesNotExist, ValueError, TypeError):
        raise NotFound() from None


def import_removals_confirm(*, actor, job_id: int) -> Job:
    """Remove the members the import listed as leaving; audited, once."""
    require_role(actor, *CONFIRM_ROLES)
    with transaction.atomic():
        job = access_import_by_id(actor, job_id, for_update=True)
        removals = (job.params or {}).get("removals")
        if job.status != JobStatus.SUCCEEDED or not removals or removals.get("state") != PENDING:
            raise Conflict(_("This import has no removals waiting for confirmation."), code="no_removals_pending")
        pairs = {(h, p) for h, p in removals["pairs"]}
        # Still as the import left them: the household last written by this import, the member not listed by it.
        candidates = RegistryMember.objects.filter(
            registry_household__import_job_id=job.pk, registry_household_id__in={h for h, _p in pairs},
            person_id__in={p for _h, p in pairs}).exclude(import_job_id=job.pk)
        leaving = [(pk, h, p) for pk, h, p in candidates.values_list("pk", "registry_household_id", "person_id")
                   if (h, p) in pairs]
        removed, _detail = RegistryMember.objects.filter(pk__in=[pk for pk, _h, _p in leaving]).delete()
        persons_roster_flags_refresh({p for _pk, _h, p in leaving})
        # The persons who left are no longer found through their registry household: name them.
        feed.changed(RegistryHousehold._meta.label_lower, sorted({h for _pk, h, _p in leaving}))
        feed.changed(Person._meta.label_lower, sorted({p for _pk, _h, p in leaving}))
        now = timezone.now()
        job.params = {**job.params, "removals": {**removals, "state": APPLIED, "removed": removed,
                                                 "confirmed_by": actor.username, "confirmed_at": now.isoformat()}}
        job.counts = {**job.counts, "members_removed": removed, "members_to_remove": 0}
        job.message = (job.message + " " + _("%(n)d members removed on the confirmation of %(user)s.")
                       % {"n": removed, "user": actor.username}).strip()
        job.save(update_fields=["params", "counts", "message"])
        record(actor=actor, action="poverty_registry.import_removals_confirm", obj=job,
               division_code=job.division_code,
               after={"listed": removals["count"], "removed": removed, "kept": removals["count"] - removed})
    return job
