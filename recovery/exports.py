"""The rep's own data as CSV rows and as a JSON document (My data).

CSV: one row per loss, with the reasons joined by "; " and the check-ins summarised in one
column. JSON: the same losses with their reflection and check-ins nested, nothing summarised.
"""

from collections.abc import Iterable

from django.utils import timezone

from teams.models import User

from .models import CheckIn, Emotion, LostDeal, Reflection

# (header, what it holds): the header row of the CSV, and the list on the My data page.
CSV_COLUMNS = [
    ("id", "The loss's own code, the same as in its web address."),
    ("deal", "The deal or account name."),
    ("amount", "The amount, without a thousands separator; empty if you left it out."),
    ("currency", "The currency of the amount (ISO 4217, such as EUR)."),
    ("stage", "The stage the deal was lost at."),
    ("date_lost", "The date lost, as YYYY-MM-DD."),
    ("reasons", "The loss reasons you picked, separated by “; ”."),
    ("reasons_outside_control", "How many of those reasons are outside your control."),
    ("competitor", "The competitor, if you named one."),
    ("notes", "Your notes."),
    ("emotions", "Feel: the emotions you picked, separated by “; ”."),
    ("mood", "Feel: how you felt when you reflected, 1 (very low) to 5 (good)."),
    ("mood_at", "When you gave that mood."),
    ("feelings", "Feel: what you wrote about how you feel."),
    ("colleagues", "People: the colleagues you picked to talk to, separated by “; ”."),
    ("talk_to", "People: who you will talk to."),
    ("unhelpful_advice", "People: any unhelpful advice you got."),
    ("outside_control", "Not personal: what was outside your control."),
    ("lesson", "Not personal: the one lesson or skill to work on."),
    ("reflection_finished_at", "When you finished the reflection; empty if not finished yet."),
    ("check_ins_answered", "How many check-ins you answered."),
    (
        "check_ins",
        "Every check-in, oldest first, separated by “ | ”: its date, then the mood out of 5 and "
        "your note, or “not answered” / “dismissed”.",
    ),
    ("moved_on_at", "When you marked “I'm moving on”; empty if not yet."),
    ("recovery_days", "Days from the date lost to moving on."),
    ("logged_at", "When you logged the loss."),
    ("source", "How the loss came in: logged by hand, imported from a CRM export, or sent by a CRM webhook."),
    ("crm_id", "The CRM's own id for the deal, if it came from a CRM."),
    ("crm_reason", "The lost reason the CRM gave, as it gave it."),
]
CSV_HEADER = [name for name, _ in CSV_COLUMNS]

# A spreadsheet runs a cell that starts with one of these as a formula.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
EMOTION_LABELS = dict(Emotion.choices)


def safe_cell(value) -> str:
    """The value as CSV text, with a quote in front of anything a spreadsheet would run."""
    if value is None:
        return ""
    text = str(value)
    if text.startswith(FORMULA_STARTS):
        return "'" + text
    return text


def _iso(value) -> str | None:
    return value.isoformat() if value is not None else None


def _local_iso(value) -> str | None:
    return timezone.localtime(value).isoformat(timespec="seconds") if value is not None else None


def _reflection(deal: LostDeal) -> Reflection | None:
    try:
        return deal.reflection
    except Reflection.DoesNotExist:
        return None


def _colleagues(deal: LostDeal) -> list[str]:
    """The names of the colleagues picked in the reflection's People section."""
    reflection = _reflection(deal)
    return [person.name for person in reflection.people.all()] if reflection else []


def _check_in_text(check_in: CheckIn) -> str:
    if check_in.answered_at is not None:
        text = f"{timezone.localdate(check_in.answered_at):%Y-%m-%d}: {check_in.mood}/5"
        return f"{text} “{check_in.note}”" if check_in.note else text
    day = f"{check_in.due_on:%Y-%m-%d}" if check_in.due_on else "unprompted"
    return f"{day}: {'dismissed' if check_in.dismissed_at else 'not answered'}"


def csv_rows(losses: Iterable[LostDeal]) -> Iterable[list[str]]:
    for deal in losses:
        reasons = list(deal.reasons.all())
        check_ins = list(deal.check_ins.all())
        reflection = _reflection(deal) or Reflection()
        row = [
            deal.code,
            deal.name,
            deal.amount,
            deal.currency,
            deal.get_stage_display(),
            _iso(deal.lost_on),
            "; ".join(r.label for r in reasons),
            sum(r.outside_control for r in reasons),
            deal.competitor,
            deal.notes,
            "; ".join(EMOTION_LABELS.get(e, e) for e in reflection.emotions),
            reflection.mood,
            _local_iso(reflection.mood_at),
            reflection.feelings,
            "; ".join(_colleagues(deal)),
            reflection.talk_to,
            reflection.unhelpful_advice,
            reflection.outside_control,
            reflection.lesson,
            _local_iso(reflection.finished_at),
            sum(c.answered_at is not None for c in check_ins),
            " | ".join(_check_in_text(c) for c in check_ins),
            _local_iso(deal.moved_on_at),
            deal.recovery_days,
            _local_iso(deal.created_at),
            deal.get_source_display(),
            deal.crm_id,
            deal.crm_reason,
        ]
        yield [safe_cell(value) for value in row]


def _reflection_dict(deal: LostDeal) -> dict | None:
    reflection = _reflection(deal)
    if reflection is None:
        return None
    return {
        "feel": {
            "emotions": list(reflection.emotions),
            "mood": reflection.mood,
            "mood_at": _local_iso(reflection.mood_at),
            "feelings": reflection.feelings,
        },
        "people": {
            "colleagues": _colleagues(deal),
            "talk_to": reflection.talk_to,
            "unhelpful_advice": reflection.unhelpful_advice,
        },
        "not_personal": {"outside_control": reflection.outside_control, "lesson": reflection.lesson},
        "finished_at": _local_iso(reflection.finished_at),
    }


def _check_in_dict(check_in: CheckIn) -> dict:
    return {
        "due_on": _iso(check_in.due_on),
        "mood": check_in.mood,
        "note": check_in.note,
        "answered_at": _local_iso(check_in.answered_at),
        "dismissed_at": _local_iso(check_in.dismissed_at),
    }


def loss_dict(deal: LostDeal) -> dict:
    return {
        "id": str(deal.code),
        "deal": deal.name,
        "amount": str(deal.amount) if deal.amount is not None else None,
        "currency": deal.currency,
        "stage": deal.stage,
        "date_lost": _iso(deal.lost_on),
        "reasons": [
            {"slug": r.slug, "label": r.label, "outside_control": r.outside_control}
            for r in deal.reasons.all()
        ],
        "competitor": deal.competitor,
        "notes": deal.notes,
        "reflection": _reflection_dict(deal),
        "check_ins": [_check_in_dict(c) for c in deal.check_ins.all()],
        "moved_on_at": _local_iso(deal.moved_on_at),
        "recovery_days": deal.recovery_days,
        "logged_at": _local_iso(deal.created_at),
        "source": deal.source,
        "crm_id": deal.crm_id,
        "crm_reason": deal.crm_reason,
    }


def json_document(*, user: User, losses: Iterable[LostDeal]) -> dict:
    return {
        "format": "rebound-export",
        "version": 1,
        "exported_at": _local_iso(timezone.now()),
        "account": {"email": user.email, "name": user.name},
        "losses": [loss_dict(deal) for deal in losses],
    }
