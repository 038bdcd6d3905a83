import uuid

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone

from .currencies import CURRENCY_CHOICES

MOOD_CHOICES = [
    (1, "1 · Very low"),
    (2, "2 · Low"),
    (3, "3 · Okay"),
    (4, "4 · Fairly good"),
    (5, "5 · Good"),
]
mood_validators = [MinValueValidator(1), MaxValueValidator(5)]
MAX_AMOUNT = 10**12


class Stage(models.TextChoices):
    PROSPECTING = "prospecting", "Prospecting"
    DISCOVERY = "discovery", "Discovery"
    DEMO = "demo", "Demo"
    PROPOSAL = "proposal", "Proposal"
    NEGOTIATION = "negotiation", "Negotiation"
    CONTRACT = "contract", "Contract"


class Emotion(models.TextChoices):
    """About two dozen feelings, grouped as an emotion check-in app groups them."""

    # Unpleasant, high energy
    ANGRY = "angry", "Angry"
    FRUSTRATED = "frustrated", "Frustrated"
    ANXIOUS = "anxious", "Anxious"
    STRESSED = "stressed", "Stressed"
    SHOCKED = "shocked", "Shocked"
    EMBARRASSED = "embarrassed", "Embarrassed"
    # Unpleasant, low energy
    DISAPPOINTED = "disappointed", "Disappointed"
    SAD = "sad", "Sad"
    DISCOURAGED = "discouraged", "Discouraged"
    DRAINED = "drained", "Drained"
    LONELY = "lonely", "Lonely"
    ASHAMED = "ashamed", "Ashamed"
    # Pleasant, high energy
    DETERMINED = "determined", "Determined"
    MOTIVATED = "motivated", "Motivated"
    HOPEFUL = "hopeful", "Hopeful"
    CURIOUS = "curious", "Curious"
    ENERGISED = "energised", "Energised"
    PROUD = "proud", "Proud of the effort"
    # Pleasant, low energy
    RELIEVED = "relieved", "Relieved"
    CALM = "calm", "Calm"
    ACCEPTING = "accepting", "Accepting"
    GRATEFUL = "grateful", "Grateful"
    REFLECTIVE = "reflective", "Reflective"
    SETTLED = "settled", "Settled"


EMOTION_GROUPS = [
    ("Unpleasant, high energy", ["angry", "frustrated", "anxious", "stressed", "shocked", "embarrassed"]),
    ("Unpleasant, low energy", ["disappointed", "sad", "discouraged", "drained", "lonely", "ashamed"]),
    ("Pleasant, high energy", ["determined", "motivated", "hopeful", "curious", "energised", "proud"]),
    ("Pleasant, low energy", ["relieved", "calm", "accepting", "grateful", "reflective", "settled"]),
]


class LossReason(models.Model):
    """Why a deal was lost; each reason is within or outside the rep's control (tip 3)."""

    slug = models.SlugField(max_length=60, unique=True)
    label = models.CharField(max_length=100)
    outside_control = models.BooleanField(
        help_text="Outside the rep's control (price, timing...) rather than within it."
    )
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["position", "label"]

    def __str__(self):
        return self.label


class Source(models.TextChoices):
    MANUAL = "manual", "Logged by hand"
    CSV = "csv", "Imported from a CRM export"
    WEBHOOK = "webhook", "Sent by a CRM webhook"


class LostDeal(models.Model):
    code = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="lost_deals")
    name = models.CharField("deal or account", max_length=200)
    amount = models.DecimalField(
        max_digits=15,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(0), MaxValueValidator(MAX_AMOUNT)],
    )
    currency = models.CharField(max_length=3, choices=CURRENCY_CHOICES, default="USD")
    stage = models.CharField("stage lost at", max_length=20, choices=Stage)
    lost_on = models.DateField("date lost", default=timezone.localdate)
    reasons = models.ManyToManyField(LossReason, related_name="lost_deals")
    competitor = models.CharField(max_length=100, blank=True)
    notes = models.TextField(max_length=5000, blank=True)
    moved_on_at = models.DateTimeField(null=True, blank=True)
    recovery_days = models.PositiveIntegerField(
        null=True, blank=True, help_text="Days from the date lost to “I'm moving on”."
    )
    # Set from a hidden field of the form: a repeated POST finds the loss it already made.
    submission_id = models.UUIDField(null=True, blank=True, editable=False)
    # Losses that came from a CRM: where from, the CRM's own id (one loss per id and owner)
    # and its own words for why it was lost.
    source = models.CharField(max_length=10, choices=Source, default=Source.MANUAL)
    crm_id = models.CharField("CRM record id", max_length=100, blank=True)
    crm_reason = models.CharField("the CRM's lost reason", max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-lost_on", "-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(amount__gte=0) & models.Q(amount__lte=MAX_AMOUNT),
                name="lostdeal_amount_in_range",
            ),
            models.UniqueConstraint(fields=["owner", "submission_id"], name="lostdeal_unique_submission"),
            models.UniqueConstraint(
                fields=["owner", "crm_id"], condition=~models.Q(crm_id=""), name="lostdeal_unique_crm_id"
            ),
        ]
        indexes = [
            models.Index(fields=["owner", "-lost_on", "-created_at"], name="lostdeal_owner_lost_on"),
            models.Index(fields=["owner", "stage"], name="lostdeal_owner_stage"),
            models.Index(fields=["owner", "moved_on_at"], name="lostdeal_owner_moved_on"),
            # The morale dashboard: a team's losses in a range, and their ids for the reasons picked,
            # read from the index alone (the columns are keys, not `include`, which SQLite lacks).
            models.Index(
                fields=["owner", "lost_on", "currency", "amount", "id"], name="lostdeal_owner_lost_on_cover"
            ),
            # The losses not moved on from: home's check-ins due and reflections to finish.
            models.Index(
                fields=["owner"], name="lostdeal_owner_open", condition=models.Q(moved_on_at__isnull=True)
            ),
        ]

    def __str__(self):
        return self.name

    @property
    def has_moved_on(self):
        return self.moved_on_at is not None


class Reflection(models.Model):
    """The four tips, written down for one lost deal. Private to its owner."""

    deal = models.OneToOneField(LostDeal, on_delete=models.CASCADE, related_name="reflection")
    # The deal's owner, copied when the reflection is made (a deal never changes hands): the morale
    # dashboard reads a team's moods by owner and date from one index, without joining the deals.
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+", editable=False, db_index=False
    )
    # 1. Feel
    emotions = models.JSONField(default=list, blank=True)
    mood = models.PositiveSmallIntegerField(
        "how you feel right now", null=True, blank=True, choices=MOOD_CHOICES, validators=mood_validators
    )
    mood_at = models.DateTimeField(null=True, blank=True)
    feelings = models.TextField("what you feel", max_length=5000, blank=True)
    # 2. People
    people = models.ManyToManyField(
        settings.AUTH_USER_MODEL, blank=True, related_name="+", verbose_name="colleagues you will talk to"
    )
    talk_to = models.CharField("who you will talk to", max_length=300, blank=True)
    unhelpful_advice = models.TextField(max_length=2000, blank=True)
    # 3. Not personal
    outside_control = models.TextField("what was outside your control", max_length=2000, blank=True)
    lesson = models.CharField("one lesson or skill to work on", max_length=300, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=models.Q(mood__gte=1, mood__lte=5) | models.Q(mood__isnull=True),
                name="reflection_mood_1_to_5",
            ),
        ]
        indexes = [
            # The morale dashboard: each member's moods since a date, read from the index alone.
            models.Index(
                fields=["owner", "mood_at", "mood"],
                condition=models.Q(mood__isnull=False),
                name="reflection_owner_mood_at",
            ),
        ]

    def __str__(self):
        return f"Reflection on {self.deal}"

    @property
    def is_finished(self):
        return self.finished_at is not None

    @property
    def status(self):
        """ "finished", "started" (something written, not finished yet) or "not_started"."""
        if self.finished_at is not None:
            return "finished"
        written = (
            self.emotions,
            self.mood,
            self.feelings,
            self.talk_to,
            self.unhelpful_advice,
            self.outside_control,
            self.lesson,
        )
        return "started" if any(written) else "not_started"


class CheckIn(models.Model):
    """“How do you feel about it now?” Prompted 1, 3 and 7 days after a loss, or any time."""

    PROMPT_DAYS = (1, 3, 7)

    code = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    deal = models.ForeignKey(LostDeal, on_delete=models.CASCADE, related_name="check_ins")
    # The deal's owner, copied when the check-in is made, as on Reflection.
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+", editable=False, db_index=False
    )
    due_on = models.DateField(null=True, blank=True, help_text="Empty for a check-in made unprompted.")
    mood = models.PositiveSmallIntegerField(
        null=True, blank=True, choices=MOOD_CHOICES, validators=mood_validators
    )
    note = models.TextField(max_length=2000, blank=True)
    answered_at = models.DateTimeField(null=True, blank=True)
    dismissed_at = models.DateTimeField(null=True, blank=True)
    # When the reminder email was sent (schedule/tasks.py): one reminder per check-in, ever.
    reminded_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        ordering = ["answered_at", "due_on"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(mood__gte=1, mood__lte=5) | models.Q(mood__isnull=True),
                name="checkin_mood_1_to_5",
            ),
            models.CheckConstraint(
                condition=models.Q(answered_at__isnull=True) | models.Q(mood__isnull=False),
                name="checkin_answer_has_mood",
            ),
            models.UniqueConstraint(fields=["deal", "due_on"], name="checkin_one_prompt_per_day"),
        ]
        indexes = [
            models.Index(
                fields=["due_on"],
                name="checkin_pending_due",
                condition=models.Q(answered_at__isnull=True, dismissed_at__isnull=True),
            ),
            # The morale dashboard: each member's answers since a date, read from the index alone.
            models.Index(
                fields=["owner", "answered_at", "mood"],
                condition=models.Q(answered_at__isnull=False),
                name="checkin_owner_answered_at",
            ),
            # A loss's pending check-ins by date: home's check-ins due, joined from the owner's losses.
            models.Index(
                fields=["deal", "due_on"],
                name="checkin_pending_deal_due",
                condition=models.Q(answered_at__isnull=True, dismissed_at__isnull=True),
            ),
        ]

    def __str__(self):
        return f"Check-in on {self.deal}"

    @property
    def is_pending(self):
        return self.answered_at is None and self.dismissed_at is None


class CsvImport(models.Model):
    """An uploaded CRM export, kept between its preview and the rep's confirmation.

    The upload is checked in the request (size, encoding, columns, line lengths); reading its rows
    into the preview is the task `recovery.imports.tasks.csv_import_read`, which records how far it
    has got (`rows_read` of `rows_total`) and then the preview itself, or why it failed.
    """

    class State(models.TextChoices):
        QUEUED = "queued", "Waiting to be read"
        READING = "reading", "Reading"
        READY = "ready", "Ready for preview"
        FAILED = "failed", "Failed"

    class Kind(models.TextChoices):
        HUBSPOT = "hubspot", "HubSpot deals export"
        SALESFORCE = "salesforce", "Salesforce opportunities report"
        PIPEDRIVE = "pipedrive", "Pipedrive deals export"
        CUSTOM = "custom", "Another CSV"

    code = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="csv_imports")
    filename = models.CharField(max_length=255)
    content = models.TextField(help_text="The file's text, decoded.")
    kind = models.CharField(max_length=12, choices=Kind, default=Kind.CUSTOM)
    mapping = models.JSONField(default=dict, blank=True, help_text="Rebound field → the file's column.")
    created_at = models.DateTimeField(auto_now_add=True)
    imported_at = models.DateTimeField(null=True, blank=True)
    imported_count = models.PositiveIntegerField(default=0)
    state = models.CharField(max_length=8, choices=State, default=State.QUEUED)
    rows_total = models.PositiveIntegerField(default=0)
    rows_read = models.PositiveIntegerField(default=0)
    error = models.TextField(blank=True)
    preview = models.JSONField(null=True, blank=True, help_text="The preview the task read, as JSON.")

    class Meta:
        ordering = ["-created_at"]

    def __str__(self):
        return f"{self.filename} ({self.get_kind_display()})"

    @property
    def is_being_read(self):
        return self.state in (self.State.QUEUED, self.State.READING)


class Webhook(models.Model):
    """A rep's personal address for a CRM to send closed-lost deals to, signed with its secret."""

    code = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="webhooks")
    # Kept to check each request's HMAC-SHA256 signature; shown to the rep once, when created.
    secret = models.CharField(max_length=64, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    last_used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self):
        return f"Webhook {self.code} of {self.owner}"

    @property
    def is_active(self):
        return self.revoked_at is None


class WebhookDelivery(models.Model):
    """One signed request a CRM sent to a webhook address, kept from its 202 until a task brings it in.

    The body is stored as it came (at most 16 KB, already checked to be a valid deal); the task
    `recovery.webhooks.webhook_delivery_run` turns it into a loss and records the outcome here,
    which the rep sees on the webhook page.
    """

    class State(models.TextChoices):
        QUEUED = "queued", "Waiting"
        CREATED = "created", "Loss created"
        DUPLICATE = "duplicate", "Came in before"
        FAILED = "failed", "Failed"

    code = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    webhook = models.ForeignKey(Webhook, on_delete=models.CASCADE, related_name="deliveries")
    body = models.TextField()
    crm_id = models.CharField(max_length=100)
    received_at = models.DateTimeField(auto_now_add=True)
    state = models.CharField(max_length=10, choices=State.choices, default=State.QUEUED)
    finished_at = models.DateTimeField(null=True, blank=True)
    loss = models.ForeignKey(
        LostDeal, on_delete=models.SET_NULL, null=True, blank=True, related_name="webhook_deliveries"
    )
    error = models.TextField(blank=True)

    class Meta:
        ordering = ["-received_at"]
        indexes = [models.Index(fields=["webhook", "-received_at"], name="webhook_delivery_recent")]

    def __str__(self):
        return f"Delivery {self.code} to {self.webhook_id} ({self.state})"


class OutgoingEmail(models.Model):
    """An email as rendered when it was queued, and the marker that it went: recovery.tasks.send_email
    sends it only while `sent_at` is empty, and sets `sent_at` once the mail server has taken it.

    `failed_at` is set when the retries are used up (`last_error` says why); a later successful try
    (the admin's retry) clears it.
    """

    created_at = models.DateTimeField(auto_now_add=True)
    from_email = models.CharField(max_length=400)
    to = models.JSONField(default=list)
    cc = models.JSONField(default=list)
    bcc = models.JSONField(default=list)
    reply_to = models.JSONField(default=list)
    headers = models.JSONField(default=dict)  # Message-ID among them, fixed at queueing
    subject = models.TextField()
    body = models.TextField()
    html = models.TextField(blank=True)
    attempts = models.PositiveIntegerField(default=0)
    last_error = models.TextField(blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    failed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["created_at"], name="outgoing_email_created_at")]

    def __str__(self):
        return f"{self.subject} to {', '.join(self.to)}"
