from dibao.errors import NotFound
from jobs.models import Job


def job_for_user(user, job_id) -> Job:
    """A job is visible to whoever started it, and to admins; 404 for everyone else."""
    try:
        job = Job.objects.get(pk=job_id)
    except (Job.DoesNotExist, ValueError):
        raise NotFound() from None
    if user.is_admin_role or job.created_by_id == user.pk:
        return job
    raise NotFound()
