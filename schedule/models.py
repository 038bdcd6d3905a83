from django.db import models
from django.utils import timezone


class ScheduledRun(models.Model):
    """One run of a scheduled job for one period (a day, a team's week): written before the job is
    queued, in the same transaction, and unique, so no period's job is queued twice."""

    job = models.CharField(max_length=40)
    period = models.CharField(
        max_length=80, help_text="What the run is for: “2026-12-07”, “2026-12-07 team 3”."
    )
    claimed_at = models.DateTimeField(default=timezone.now)
    finished_at = models.DateTimeField(
        null=True, blank=True, help_text="Empty while queued or running, or if it failed."
    )
    outcome = models.CharField(max_length=200, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["job", "period"], name="scheduled_run_once_per_period"),
        ]
        indexes = [models.Index(fields=["job", "-claimed_at"], name="scheduled_run_latest")]

    def __str__(self):
        return f"{self.job} for {self.period}"
