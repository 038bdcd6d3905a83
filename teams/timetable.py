"""What is due when: each job and the period it would run for, at a given moment.

A period is what makes a run unique (teams.models.ScheduledRun): a team's week, or a day. A job is
due from its time until its period ends, so a morning missed while no worker ran is made up later
the same period, and a period already run is never run again.

- freeze_weeks, per team, from Monday 00:00 in the team's time zone: freeze the week just closed.
- morale_digest, per team, from Monday 07:00 in the team's time zone: each manager's digest.
- check_in_reminders, daily from 08:00 in settings.TIME_ZONE: the check-ins falling due that day.
- delete_leftovers and prune_task_results, daily from midnight in settings.TIME_ZONE.
"""

import datetime
import zoneinfo
from dataclasses import dataclass, field

from django.utils import timezone

from .models import Team
from .morale_weeks import week_start

DIGEST_AT = datetime.time(7)  # Monday morning, in each team's time zone
REMINDERS_AT = datetime.time(
    8
)  # every morning, in settings.TIME_ZONE (people have no time zone of their own)


@dataclass(frozen=True)
class Due:
    job: str
    period: str
    kwargs: dict = field(default_factory=dict)


def due(now: datetime.datetime) -> list[Due]:
    runs = []
    for team in Team.objects.only("pk", "time_zone").order_by("pk"):
        local = timezone.localtime(now, zoneinfo.ZoneInfo(team.time_zone))
        monday = week_start(local.date())
        period = f"{monday} team {team.pk}"
        runs.append(Due("freeze_weeks", period, {"team_id": team.pk}))
        if local.date() > monday or local.time() >= DIGEST_AT:
            runs.append(Due("morale_digest", period, {"team_id": team.pk}))
    local = timezone.localtime(now)
    today = local.date().isoformat()
    if local.time() >= REMINDERS_AT:
        runs.append(Due("check_in_reminders", today, {"day": today}))
    runs.append(Due("delete_leftovers", today))
    runs.append(Due("prune_task_results", today))
    return runs
