"""Writes of the recovery app: each function is one transaction."""

import datetime
import uuid
from collections.abc import Iterable, Sequence
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from teams import access, emails
from teams.access import teammates
from teams.models import User

from .models import CheckIn, LossReason, LostDeal, Reflection, Source


def prompt_dates(lost_on: datetime.date, today: datetime.date) -> list[datetime.date]:
    """The check-in prompts still ahead: a loss logged late skips the days already past."""
    dates = [lost_on + datetime.timedelta(days=d) for d in CheckIn.PROMPT_DAYS]
    return [d for d in dates if d > today]


def _prompts(deal: LostDeal, *, skip: Iterable[datetime.date] = ()) -> list[CheckIn]:
    """The check-in prompts still ahead for a loss, but for the days in `skip`."""
    today = timezone.localdate()
    return [
        CheckIn(deal=deal, owner_id=deal.owner_id, due_on=due_on)
        for due_on in prompt_dates(deal.lost_on, today)
        if due_on not in skip
    ]


def lost_deals_prepare(*, deals: Sequence[LostDeal]) -> None:
    """Give new losses their empty reflection and their check-in prompts.

    Both carry their deal's owner: the morale dashboard reads a team's moods by owner.
    """
    Reflection.objects.bulk_create(Reflection(deal=deal, owner_id=deal.owner_id) for deal in deals)
    CheckIn.objects.bulk_create(prompt for deal in deals for prompt in _prompts(deal))


def _recovery_days(deal: LostDeal) -> int:
    return max(0, (timezone.localdate(deal.moved_on_at) - deal.lost_on).days)


def lost_deal_create(
    *,
    owner: User,
    name: str,
    stage: str,
    lost_on: datetime.date,
    reasons: Iterable[LossReason],
    amount: Decimal | None = None,
    currency: str = "USD",
    competitor: str = "",
    notes: str = "",
    submission_id: uuid.UUID | None = None,
    source: str = Source.MANUAL,
    crm_id: str = "",
    crm_reason: str = "",
) -> LostDeal:
    """Log a loss with an empty reflection and its check-in prompts.

    A repeated submission (double click, back button), or a CRM record already brought in,
    returns the loss it already made.
    """
    same = _same_loss(owner, submission_id, crm_id)
    if same is not None:
        existing = LostDeal.objects.filter(owner=owner, **same).first()
        if existing is not None:
            return existing
    try:
        with transaction.atomic():
            deal = LostDeal.objects.create(
                owner=owner,
                name=name,
                amount=amount,
                currency=currency,
                stage=stage,
                lost_on=lost_on,
                competitor=competitor,
                notes=notes,
                submission_id=submission_id,
                source=source,
                crm_id=crm_id,
                crm_reason=crm_reason,
            )
            deal.reasons.set(reasons)
            lost_deals_prepare(deals=[deal])
    except IntegrityError:
        # The same submission or CRM record won a race with this one.
        if same is None:
            raise
        return LostDeal.objects.get(owner=owner, **same)
    return deal


def _same_loss(owner: User, submission_id: uuid.UUID | None, crm_id: str) -> dict | None:
    """What identifies a loss already made from the same form or CRM record, if anything."""
    if submission_id is not None:
        return {"submission_id": submission_id}
    if crm_id:
        return {"crm_id": crm_id}
    return None


@transaction.atomic
def lost_deal_update(
    *,
    deal: LostDeal,
    name: str,
    stage: str,
    lost_on: datetime.date,
    reasons: Iterable[LossReason],
    amount: Decimal | None,
    currency: str,
    competitor: str,
    notes: str,
) -> LostDeal:
    moved_date = lost_on != deal.lost_on
    deal.name, deal.stage, deal.lost_on = name, stage, lost_on
    deal.amount, deal.currency = amount, currency
    deal.competitor, deal.notes = competitor, notes
    if deal.moved_on_at is not None:
        deal.recovery_days = _recovery_days(deal)
    deal.save()
    deal.reasons.set(reasons)
    if moved_date:
        # Prompts not yet answered follow the new date.
        deal.check_ins.filter(due_on__isnull=False, answered_at__isnull=True).delete()
        answered = set(deal.check_ins.filter(due_on__isnull=False).values_list("due_on", flat=True))
        CheckIn.objects.bulk_create(_prompts(deal, skip=answered))
    return deal


@transaction.atomic
def lost_deal_delete(*, deal: LostDeal) -> None:
    deal.delete()


@transaction.atomic
def lost_deal_move_on(*, deal: LostDeal) -> LostDeal:
    """“I've felt it, and I'm moving on.” Marking it again keeps the first moment."""
    if deal.moved_on_at is None:
        deal.moved_on_at = timezone.now()
        deal.recovery_days = _recovery_days(deal)
        deal.save(update_fields=["moved_on_at", "recovery_days", "updated_at"])
    return deal


@transaction.atomic
def lost_deal_undo_move_on(*, deal: LostDeal) -> LostDeal:
    deal.moved_on_at = None
    deal.recovery_days = None
    deal.save(update_fields=["moved_on_at", "recovery_days", "updated_at"])
    return deal


@transaction.atomic
def reflection_save(
    *,
    reflection: Reflection,
    emotions: list[str],
    mood: int | None,
    feelings: str,
    talk_to: str,
    unhelpful_advice: str,
    outside_control: str,
    lesson: str,
    people: Iterable[User] | None = None,
    finish: bool = False,
) -> Reflection:
    """Save what was written so far; `finish` also marks the reflection finished.

    `people` (tip 2) replaces the colleagues picked, who must share a team with the owner;
    None leaves them as they are.
    """
    if people is not None:
        wanted = {person.pk for person in people}
        if wanted:
            allowed = set(teammates(reflection.deal.owner).filter(pk__in=wanted).values_list("pk", flat=True))
            if wanted - allowed:
                raise ValidationError("You can only pick colleagues from your teams.")
    # mood_at is when the first mood was given: the start of the recovery curve.
    if mood is None:
        reflection.mood_at = None
    elif reflection.mood_at is None:
        reflection.mood_at = timezone.now()
    reflection.emotions = emotions
    reflection.mood = mood
    reflection.feelings = feelings
    reflection.talk_to = talk_to
    reflection.unhelpful_advice = unhelpful_advice
    reflection.outside_control = outside_control
    reflection.lesson = lesson
    if finish and reflection.finished_at is None:
        reflection.finished_at = timezone.now()
    reflection.save()
    if people is not None:
        reflection.people.set(wanted)
    return reflection


@transaction.atomic
def reflection_reopen(*, reflection: Reflection) -> Reflection:
    reflection.finished_at = None
    reflection.save(update_fields=["finished_at", "updated_at"])
    return reflection


def _settle_due_prompts(deal: LostDeal, answered: CheckIn) -> None:
    """An answer covers every prompt of the same loss already due: one question, not three."""
    deal.check_ins.filter(
        answered_at__isnull=True, dismissed_at__isnull=True, due_on__lte=timezone.localdate()
    ).exclude(pk=answered.pk).update(dismissed_at=timezone.now())


@transaction.atomic
def check_in_answer(*, check_in: CheckIn, mood: int, note: str = "") -> CheckIn:
    check_in.mood = mood
    check_in.note = note
    check_in.answered_at = timezone.now()
    check_in.dismissed_at = None
    check_in.save(update_fields=["mood", "note", "answered_at", "dismissed_at"])
    _settle_due_prompts(check_in.deal, check_in)
    return check_in


@transaction.atomic
def check_in_create(*, deal: LostDeal, mood: int, note: str = "") -> CheckIn:
    """A check-in the rep makes unprompted, from the loss page."""
    check_in = CheckIn.objects.create(
        deal=deal, owner_id=deal.owner_id, mood=mood, note=note, answered_at=timezone.now()
    )
    _settle_due_prompts(deal, check_in)
    return check_in


@transaction.atomic
def check_in_dismiss(*, check_in: CheckIn) -> CheckIn:
    if check_in.is_pending:
        check_in.dismissed_at = timezone.now()
        check_in.save(update_fields=["dismissed_at"])
    return check_in


# Check-in reminders (schedule/tasks.py runs this each morning)

# A check-in due in the last few days whose morning was missed (the worker was down) still gets
# its reminder; older ones don't, so turning the worker back on after a week sends no backlog.
REMINDER_WINDOW = datetime.timedelta(days=2)


def check_ins_send_reminders(*, today: datetime.date) -> int:
    """One email per pending check-in falling due by `today`, to reps who want them; how many sent.

    Each check-in's reminded_at is set in the same transaction as its email: a failed send rolls it
    back (the next run tries again), and two runs at once can't both send, as the update only
    succeeds for the one that finds reminded_at still empty.
    """
    due = CheckIn.objects.filter(
        due_on__lte=today,
        due_on__gte=today - REMINDER_WINDOW,
        answered_at__isnull=True,
        dismissed_at__isnull=True,
        reminded_at__isnull=True,
        deal__moved_on_at__isnull=True,
        owner__check_in_reminders=True,
        owner__is_active=True,
    ).select_related("deal", "owner")
    sent = 0
    for check_in in due.order_by("pk"):
        with transaction.atomic():
            claimed = CheckIn.objects.filter(pk=check_in.pk, reminded_at__isnull=True).update(
                reminded_at=timezone.now()
            )
            if not claimed:
                continue
            _send_check_in_reminder(check_in)
        sent += 1
    return sent


def _send_check_in_reminder(check_in: CheckIn) -> None:
    person = check_in.owner
    emails.send(
        "check_in_reminder",
        [person.email],
        {
            "person": person,
            "deal": check_in.deal,
            "days": (check_in.due_on - check_in.deal.lost_on).days,
            "answer_url": emails.absolute(
                reverse("recovery:check_in_answer", kwargs={"code": check_in.code})
            ),
            "stop_url": emails.absolute(
                reverse(
                    "teams:reminders_stop", kwargs={"reminders_token": access.reminders_stop_token(person)}
                )
            ),
            "preferences_url": emails.absolute(reverse("teams:profile")),
        },
    )
