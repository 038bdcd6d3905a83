"""The task queue's admin (django-tasks-db's own, read only) with one action: send a failed email
again. The emails themselves (OutgoingEmail) stay out of the admin: they hold people's comments
and deal names."""

from django.contrib import admin, messages
from django.tasks import TaskResultStatus
from django_tasks_db.admin import DBTaskResultAdmin
from django_tasks_db.models import DBTaskResult

from .tasks import send_email

admin.site.unregister(DBTaskResult)


@admin.register(DBTaskResult)
class TaskResultAdmin(DBTaskResultAdmin):
    actions = ["send_again"]

    @admin.action(description="Send the selected failed emails again", permissions=["view"])
    def send_again(self, request, queryset):
        """A new first attempt for each failed email task selected, with the whole retry schedule
        after it; the email's sent-marker keeps one that did go from going twice."""
        failed = queryset.filter(status=TaskResultStatus.FAILED, task_path=send_email.module_path)
        for result in failed:
            send_email.enqueue(*result.args_kwargs["args"])
        skipped = queryset.count() - len(failed)
        self.message_user(request, f"{len(failed)} email(s) queued to be sent again.", messages.SUCCESS)
        if skipped:
            self.message_user(
                request,
                f"{skipped} task(s) skipped: only failed email tasks are sent again.",
                messages.WARNING,
            )
