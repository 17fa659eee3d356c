from rest_framework import serializers
from rest_framework.reverse import reverse

from apps.jobs.models import Job


class JobSerializer(serializers.ModelSerializer):
    url = serializers.SerializerMethodField()
    progress = serializers.SerializerMethodField()

    class Meta:
        model = Job
        fields = [
            "id",
            "url",
            "kind",
            "state",
            "progress",
            "result",
            "result_url",
            "error",
            "attempts",
            "created_at",
            "started_at",
            "finished_at",
        ]
        read_only_fields = fields

    def get_url(self, job) -> str:
        return reverse("jobs:job-detail", args=[job.pk], request=self.context.get("request"))

    def get_progress(self, job) -> dict:
        return {
            "done": job.progress_done,
            "total": job.progress_total,
            "fraction": job.progress_fraction,
            "message": job.progress_message,
        }
