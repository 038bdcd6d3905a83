import uuid
import zoneinfo

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser, BaseUserManager, PermissionsMixin
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models.functions import Lower
from django.utils import timezone


class UserManager(BaseUserManager):
    use_in_migrations = True

    def _create_user(self, email, password, **extra_fields):
        if not email:
            raise ValueError("An email address is required.")
        user = self.model(email=self.normalize_email(email).lower(), **extra_fields)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_user(self, email, password=None, **extra_fields):
        extra_fields.setdefault("is_staff", False)
        extra_fields.setdefault("is_superuser", False)
        return self._create_user(email, password, **extra_fields)

    def create_superuser(self, email, password=None, **extra_fields):
        extra_fields.update(is_staff=True, is_superuser=True)
        return self._create_user(email, password, **extra_fields)


class User(AbstractBaseUser, PermissionsMixin):
    """A person: logs in with their email address, shown by their display name."""

    email = models.EmailField("email address", unique=True)
    name = models.CharField("display name", max_length=80)
    email_notifications = models.BooleanField(
        "email me about comments, encouragement and losses shared with me", default=True
    )
    check_in_reminders = models.BooleanField("email me when a check-in is due", default=True)
    is_staff = models.BooleanField(default=False)
    is_active = models.BooleanField(default=True)
    date_joined = models.DateTimeField(default=timezone.now)

    objects = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS = ["name"]

    class Meta:
        constraints = [
            models.UniqueConstraint(Lower("email"), name="user_email_ci_unique"),
        ]

    def __str__(self):
        return self.name or self.email

    def get_full_name(self):
        return self.name

    def get_short_name(self):
        return self.name


def validate_time_zone(value):
    if value not in zoneinfo.available_timezones():
        raise ValidationError(f"“{value}” isn't a time zone we know. Use a name like Europe/London.")


def default_time_zone():
    return settings.TIME_ZONE


class Team(models.Model):
    """A named group of colleagues. Whoever creates it is its first manager."""

    code = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    name = models.CharField(max_length=80)
    # The dashboard's weeks run Monday to Sunday in this time zone.
    time_zone = models.CharField(max_length=64, default=default_time_zone, validators=[validate_time_zone])
    members = models.ManyToManyField(User, through="Membership", related_name="teams")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name


class Role(models.TextChoices):
    MEMBER = "member", "Member"
    MANAGER = "manager", "Manager"


class Membership(models.Model):
    code = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="memberships")
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(max_length=10, choices=Role, default=Role.MEMBER)
    joined_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "team"], name="membership_unique_user_team")]
        indexes = [models.Index(fields=["team", "role"], name="membership_team_role")]

    def __str__(self):
        return f"{self.user} in {self.team} ({self.role})"

    @property
    def is_manager(self):
        return self.role == Role.MANAGER


class InvitationQuerySet(models.QuerySet):
    def open(self):
        """Not accepted yet, not declined, and not expired."""
        return self.filter(accepted_at__isnull=True, declined_at__isnull=True, expires_at__gt=timezone.now())


class Invitation(models.Model):
    """An emailed, single-use invitation to a team. Only a hash of its token is stored.

    Nobody joins a team without saying yes: its addressee accepts it (or declines it) themselves.
    """

    VALID_FOR = timezone.timedelta(days=14)

    code = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="invitations")
    email = models.EmailField()
    invited_by = models.ForeignKey(User, on_delete=models.SET_NULL, null=True, related_name="+")
    token_hash = models.CharField(max_length=64, unique=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    accepted_at = models.DateTimeField(null=True, blank=True)
    accepted_by = models.ForeignKey(User, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    declined_at = models.DateTimeField(null=True, blank=True)

    objects = InvitationQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(Lower("email"), "accepted_at", name="invitation_email_open")]

    def __str__(self):
        return f"Invitation of {self.email} to {self.team}"

    @property
    def is_expired(self):
        return timezone.now() >= self.expires_at


class TrustedColleague(models.Model):
    """Tip 2: a colleague the owner trusts. The owner's own list; nobody is told about it."""

    owner = models.ForeignKey(User, on_delete=models.CASCADE, related_name="trust_given")
    colleague = models.ForeignKey(User, on_delete=models.CASCADE, related_name="trust_received")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["owner", "colleague"], name="trusted_unique_pair"),
            models.CheckConstraint(condition=~models.Q(owner=models.F("colleague")), name="trusted_not_self"),
        ]

    def __str__(self):
        return f"{self.owner} trusts {self.colleague}"


class Audience(models.TextChoices):
    TEAM = "team", "A team"
    TRUSTED = "trusted", "My trusted colleagues"


class SharedLoss(models.Model):
    """Tip 4: a loss its owner chose to share, with what they allowed to be seen.

    Never shared: the Feel and People sections, notes and check-ins.
    """

    deal = models.OneToOneField("recovery.LostDeal", on_delete=models.CASCADE, related_name="share")
    audience = models.CharField(max_length=10, choices=Audience)
    team = models.ForeignKey(
        Team, on_delete=models.CASCADE, null=True, blank=True, related_name="shared_losses"
    )
    message = models.TextField(max_length=1000, blank=True)
    show_name = models.BooleanField("show the account name", default=False)
    show_amount = models.BooleanField("show the amount", default=False)
    include_lesson = models.BooleanField("include my lesson", default=False)
    shared_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=models.Q(audience="team", team__isnull=False)
                | models.Q(audience="trusted", team__isnull=True),
                name="sharedloss_audience_has_team",
            ),
        ]
        indexes = [
            models.Index(fields=["team", "-shared_at"], name="sharedloss_team_shared_at"),
            models.Index(fields=["audience", "-shared_at"], name="sharedloss_audience_shared"),
        ]

    def __str__(self):
        return f"Shared: {self.deal_id}"

    @property
    def title(self):
        """What the audience may call the deal: its name only if the owner chose to show it."""
        if self.show_name:
            return self.deal.name
        return f"A deal lost at the {self.deal.get_stage_display().lower()} stage"


class Encouragement(models.Model):
    class Kind(models.TextChoices):
        BEEN_THERE = "been_there", "Been there"
        YOU_GOT_THIS = "you_got_this", "You've got this"
        PROUD = "proud", "Proud of you for sharing"
        HERE_TO_TALK = "here_to_talk", "Here if you want to talk"

    shared = models.ForeignKey(SharedLoss, on_delete=models.CASCADE, related_name="encouragements")
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="encouragements_given")
    kind = models.CharField(max_length=20, choices=Kind)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["shared", "user", "kind"], name="encouragement_once_per_kind"),
        ]
        indexes = [
            models.Index(fields=["shared", "created_at"], name="encouragement_shared_created"),
            # The morale dashboard: support given since a date, without reading older rows.
            models.Index(fields=["created_at", "shared"], name="encouragement_created"),
        ]

    def __str__(self):
        return f"{self.get_kind_display()} from {self.user}"


class Comment(models.Model):
    MAX_LENGTH = 2000

    code = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    shared = models.ForeignKey(SharedLoss, on_delete=models.CASCADE, related_name="comments")
    # A deleted account's comments stay, signed "a former member".
    author = models.ForeignKey(User, on_delete=models.SET_NULL, null=True, related_name="comments")
    body = models.TextField(max_length=MAX_LENGTH)
    created_at = models.DateTimeField(auto_now_add=True)
    hidden_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["created_at"]
        indexes = [
            models.Index(fields=["shared", "created_at"], name="comment_shared_created"),
            # The morale dashboard: comments still shown, written since a date.
            models.Index(
                fields=["created_at", "shared"],
                condition=models.Q(hidden_at__isnull=True),
                name="comment_shown_created",
            ),
        ]

    def __str__(self):
        return f"Comment by {self.author} on {self.shared_id}"


class Notification(models.Model):
    class Kind(models.TextChoices):
        COMMENT = "comment", "A comment on your loss"
        ENCOURAGEMENT = "encouragement", "Encouragement on your loss"
        SHARED = "shared", "A loss shared with you"

    recipient = models.ForeignKey(User, on_delete=models.CASCADE, related_name="notifications")
    kind = models.CharField(max_length=20, choices=Kind)
    actor = models.ForeignKey(User, on_delete=models.CASCADE, related_name="+")
    shared = models.ForeignKey(SharedLoss, on_delete=models.CASCADE, related_name="notifications")
    created_at = models.DateTimeField(auto_now_add=True)
    read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["recipient", "-created_at"], name="notification_recipient"),
            models.Index(
                fields=["recipient"], name="notification_unread", condition=models.Q(read_at__isnull=True)
            ),
        ]

    def __str__(self):
        return f"{self.get_kind_display()} for {self.recipient}"


class NotificationEmail(models.Model):
    """The last email telling a person of one event: a loss shared with them, or one kind of
    encouragement from one colleague on their loss. Another about the same event waits a day
    (teams.services._notify), so toggling encouragement or sharing again doesn't flood anyone.

    Kept by deal rather than share: a loss unshared and shared again is the same news. Rows older
    than a day decide nothing any more; `manage.py delete_leftovers` deletes them.
    """

    recipient = models.ForeignKey(User, on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=20, choices=Notification.Kind)
    encouragement = models.CharField(max_length=20, choices=Encouragement.Kind, blank=True)
    deal = models.ForeignKey("recovery.LostDeal", on_delete=models.CASCADE, related_name="+")
    actor = models.ForeignKey(User, on_delete=models.CASCADE, related_name="+")
    sent_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["deal", "kind", "encouragement", "actor", "recipient"],
                name="notification_email_event",
            ),
        ]
        indexes = [models.Index(fields=["sent_at"], name="notification_email_sent_at")]

    def __str__(self):
        return f"{self.get_kind_display()} emailed to {self.recipient} at {self.sent_at}"


class DigestSent(models.Model):
    """The weekly morale digest sent to one manager for one team and week: never sent twice."""

    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="+")
    manager = models.ForeignKey(User, on_delete=models.CASCADE, related_name="+")
    week = models.DateField(help_text="The Monday of the week the digest reports on.")
    sent_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["team", "manager", "week"], name="digest_once_per_week"),
        ]

    def __str__(self):
        return f"Digest of {self.team} for {self.manager}, week of {self.week}"


# ---------------------------------------------------------------------------
# Tallies for the morale dashboard
#
# The dashboard's shared figures, support given and time to first support, read live: per team and
# week, and per shared loss, instead of a year of a big team's encouragement and comments. (Its
# private figures come from frozen closed weeks, `FrozenWeek` below.) Each is defined by a view of
# the rows it counts (`teams_<name>_rows`, see migration teams 0006). On PostgreSQL it is a table
# kept up to date by triggers on those rows, in the same transaction; on SQLite (no speed goal) it
# is that view itself. Read-only for Django: never written from Python.


class SupportTally(models.Model):
    """Encouragements and shown comments on losses shared with a team: how many (`n`).

    `at` is a moment in the same week, in every time zone, as the moments it counts: the counted
    moment to the quarter hour near the UTC week's ends (where the weeks of time zones from UTC-12
    to UTC+14 begin), else Monday 12:00 UTC; on SQLite, the rows' own moments. Group them with
    `TruncWeek` in the team's time zone, as the rows.
    """

    pk = models.CompositePrimaryKey("team", "at")
    team = models.ForeignKey(Team, on_delete=models.DO_NOTHING, db_constraint=False, related_name="+")
    at = models.DateTimeField()
    n = models.IntegerField(help_text="How many rows this tally counts.")

    class Meta:
        managed = False

    def __str__(self):
        return f"{self._meta.verbose_name} {self.pk}: {self.n}"


class FirstSupport(models.Model):
    """A loss shared with a team: when it was shared, and when its first support came (None: not yet).

    Kept like the support tally, one row per share: the dashboard's time to first support and its
    "needs encouragement" list read these instead of looking for each share's encouragement and
    comments.
    """

    shared = models.OneToOneField(
        SharedLoss, on_delete=models.DO_NOTHING, db_constraint=False, primary_key=True, related_name="+"
    )
    team = models.ForeignKey(Team, on_delete=models.DO_NOTHING, db_constraint=False, related_name="+")
    shared_at = models.DateTimeField()
    first_support_at = models.DateTimeField(null=True)

    class Meta:
        managed = False

    def __str__(self):
        return f"First support of {self.shared_id}: {self.first_support_at}"


class FrozenWeek(models.Model):
    """A team's closed week of private morale figures, computed once after the week ended.

    The dashboard, its CSV and the digest read closed weeks from here only, so what a closed week
    shows never changes: not when people join or leave, not when somebody backdates a loss into it,
    edits or deletes one. `figures` holds each figure's additive parts and who contributed to them
    (teams.morale_weeks); it is never shown as it is, only through the threshold (teams.morale).
    """

    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="+")
    week = models.DateField(help_text="The Monday of the week, in the team's time zone.")
    figures = models.JSONField()
    frozen_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["team", "week"], name="frozenweek_once_per_team_week")]

    def __str__(self):
        return f"{self.team}, week of {self.week}"


# ---------------------------------------------------------------------------
# Scheduled jobs (teams/schedule.py)


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
