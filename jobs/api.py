from django.urls import reverse
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from jobs import embedded
from jobs.models import Job
from jobs.selectors import job_for_user


class JobSerializer(serializers.ModelSerializer):
    result = serializers.SerializerMethodField()

    class Meta:
        model = Job
        fields = ["id", "kind", "status", "progress", "counts", "errors", "message", "result",
                  "created_at", "started_at", "finished_at"]

    def get_result(self, job) -> str | None:
        if job.result_file:
            return reverse("jobs:download", args=[job.pk])
        return None


class JobView(APIView):
    @extend_schema(responses=JobSerializer)
    def get(self, request, pk: int):
        job = job_for_user(request.user, pk)
        embedded.watch(job)
        data = JobSerializer(job).data
        data["errors"] = data["errors"][:200]  # the full list is in the downloadable report
        return Response(data)
