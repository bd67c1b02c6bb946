from pathlib import Path

from django.conf import settings
from django.shortcuts import render
from django.template.loader import select_template

from dibao import filecrypt
from dibao.errors import NotFound
from jobs import embedded, labels
from jobs.selectors import job_for_user


def job_detail(request, pk: int):
    job = job_for_user(request.user, pk)
    embedded.watch(job)
    template = "jobs/_progress.html" if request.headers.get("HX-Request") else "jobs/detail.html"
    # An app may add to the page of its own kind of job (e.g. a confirmation) in jobs/kinds/<kind>.html.
    kind_template = select_template([f"jobs/kinds/{job.kind}.html", "jobs/kinds/_none.html"]).template.name
    return render(request, template, {"job": job, "errors": job.errors[:50], "kind_template": kind_template,
                                      "kind_label": labels.kind_label(job.kind), "count_rows": labels.count_rows(job.counts)})


def job_download(request, pk: int):
    job = job_for_user(request.user, pk)
    if not job.result_file:
        raise NotFound()
    var_dir = Path(settings.VAR_DIR).resolve()
    path = (var_dir / job.result_file).resolve()
    if not path.is_relative_to(var_dir) or not path.is_file():
        raise NotFound()
    response = filecrypt.download_response(path, filename=path.name)  # decrypted as it is sent
    response["Cache-Control"] = "no-store"
    return response
