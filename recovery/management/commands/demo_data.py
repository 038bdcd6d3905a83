import datetime
import random

from allauth.account.models import EmailAddress
from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils import timezone

from recovery.models import CheckIn, LossReason, LostDeal, Reflection, Stage
from teams.models import User

DEMO_PASSWORD = "rebound-demo"  # noqa: S105 - the demo logins are printed on purpose
DEMO_PEOPLE = [
    ("maya@example.com", "Maya Okafor"),
    ("ana@example.com", "Ana Silva"),
    ("ben@example.com", "Ben Carter"),
    ("chloe@example.com", "Chloé Martin"),
    ("dev@example.com", "Dev Patel"),
    ("erin@example.com", "Erin Walsh"),
]

# Twelve weeks of losses, one to three a week for each person.
DEMO_WEEKS = 12
HOME_CURRENCY = {
    "maya@example.com": "GBP",
    "ana@example.com": "EUR",
    "ben@example.com": "USD",
    "chloe@example.com": "EUR",
    "dev@example.com": "GBP",
    "erin@example.com": "USD",
}
# The two people who find a check-in waiting for them today.
DUE_TODAY = ("ana@example.com", "ben@example.com")

ACCOUNTS = [
    "Northwind Traders",
    "Contoso",
    "Fabrikam",
    "Tailspin Toys",
    "Wide World Importers",
    "Adventure Works",
    "Litware",
    "Proseware",
    "Coho Vineyard",
    "Blue Yonder Airlines",
    "Alpine Ski House",
    "Fourth Coffee",
    "Lamna Healthcare",
    "Margie's Travel",
    "Trey Research",
    "Woodgrove Bank",
    "Graphic Design Institute",
    "School of Fine Art",
    "Humongous Insurance",
    "Lucerne Publishing",
    "Relecloud",
    "VanArsdel",
    "Bellows College",
    "First Up Consultants",
]
DEAL_KINDS = ["renewal", "expansion", "new logo", "pilot", "upsell", "multi-year deal", "EMEA rollout", "RFP"]
COMPETITORS = ["Globex", "Initech", "Hooli", "Umbrella Analytics", "Stark Systems", "Vandelay Software"]
# How often each reason is picked; a loss has one to three of them.
REASON_WEIGHTS = {
    "price-budget": 24,
    "competitor": 18,
    "timing": 14,
    "no-decision": 14,
    "product-fit": 9,
    "champion-left": 5,
    "procurement-legal": 5,
    "my-discovery": 6,
    "my-follow-up": 5,
    "relationship": 4,
    "my-demo-pitch": 4,
    "unknown": 4,
}
STAGE_WEIGHTS = {
    Stage.PROSPECTING: 5,
    Stage.DISCOVERY: 12,
    Stage.DEMO: 15,
    Stage.PROPOSAL: 30,
    Stage.NEGOTIATION: 28,
    Stage.CONTRACT: 10,
}
UNPLEASANT = [
    "disappointed",
    "frustrated",
    "sad",
    "discouraged",
    "anxious",
    "drained",
    "embarrassed",
    "angry",
]
PLEASANT = ["determined", "reflective", "accepting", "curious", "motivated", "relieved"]
FEELINGS = [
    "Gutted. We were so close and I'd already pictured the kick-off call.",
    "Annoyed more than sad. Three months of work and they went quiet at the end.",
    "Honestly a bit embarrassed, I'd told the team it was in the bag.",
    "Tired. This one dragged on and I'm mostly relieved it's decided.",
    "Frustrated with procurement, not with the people I worked with.",
    "Sad about it. I liked working with their team.",
    "Disappointed, but I can see why they went the other way.",
    "It stings. I'll let it sting today and look at it properly tomorrow.",
]
UNHELPFUL_ADVICE = [
    "You didn't want that client anyway.",
    "Just get over it, there are plenty more in the pipeline.",
    "At least it wasn't a big one.",
    "Their loss.",
]
OUTSIDE_CONTROL = [
    "Their budget was cut in the middle of the quarter.",
    "A new CFO froze all new spending.",
    "The competitor was already in their other offices.",
    "Our champion moved to another company two weeks before signing.",
    "Legal needed a data residency clause we can't offer yet.",
    "They decided to keep their spreadsheets for another year.",
    "The timing of their reorganisation.",
]
LESSONS = [
    "Find the economic buyer before the proposal, not after.",
    "Ask “what happens if you do nothing?” in discovery.",
    "Multi-thread: have at least three contacts in every deal over 20k.",
    "Confirm the decision process and dates in writing after discovery.",
    "Send a recap within 24 hours of every meeting.",
    "Practise the pricing conversation: stop apologising for the price.",
    "Bring procurement in early on any deal with a security review.",
    "Qualify out sooner when there's no compelling event.",
    "Tailor the demo to the three problems they named, nothing else.",
    "Ask who else they are talking to, and what they like about them.",
    "Book the next step before leaving every call.",
    "Check in with the champion's boss, not just the champion.",
    "Map the stakeholders on paper before the proposal.",
    "Follow up on the first silence within two days, not a week.",
    "Build a mutual close plan with the customer.",
    "Listen more in discovery: they told me about the budget freeze and I missed it.",
    "Prepare for the competitor's strengths instead of pretending they don't exist.",
    "Keep a written business case the champion can forward internally.",
]
NOTES = [
    "They said they'd revisit next year.",
    "Good relationship with the team, keep in touch.",
    "Lost at the last step: the board said no.",
    "Decision made by head office.",
]
CHECK_IN_NOTES = [
    "Still thinking about it.",
    "Talked it through with Maya, feels lighter.",
    "Better today.",
    "Back on the phones.",
    "Mostly over it.",
    "",
]


def _aware(day: datetime.date, hour: int, minute: int, now: datetime.datetime) -> datetime.datetime:
    """That day at that local time, but never later than now."""
    moment = datetime.datetime.combine(
        day, datetime.time(hour, minute), tzinfo=timezone.get_current_timezone()
    )
    return min(moment, now)


def _weighted_sample(rng: random.Random, weights: dict, k: int) -> list:
    """k different items, each drawn with its weight."""
    pool = dict(weights)
    chosen = []
    for _ in range(min(k, len(pool))):
        item = rng.choices(list(pool), weights=list(pool.values()))[0]
        chosen.append(item)
        del pool[item]
    return chosen


def _amount(rng: random.Random) -> int | None:
    if rng.random() < 0.08:
        return None
    return rng.choice([4, 6, 8, 12, 15, 18, 24, 30, 36, 45, 60, 80, 120]) * 1000 + rng.choice([0, 500])


class DemoLosses:
    """Twelve weeks of one person's losses, reflections and check-ins, the same every run."""

    def __init__(self, user: User, today: datetime.date, now: datetime.datetime, reasons: dict):
        self.user = user
        self.today = today
        self.now = now
        self.reasons = reasons
        self.rng = random.Random(f"rebound-demo-{user.email}")
        self.deals: list[LostDeal] = []
        self.deal_reasons: list[list[LossReason]] = []
        self.reflections: list[Reflection] = []
        self.check_ins: list[CheckIn] = []

    def lost_dates(self) -> list[datetime.date]:
        rng = self.rng
        start = self.today - datetime.timedelta(weeks=DEMO_WEEKS)
        dates = []
        for week in range(DEMO_WEEKS):
            for _ in range(rng.choices([1, 2, 3], weights=[4, 4, 2])[0]):
                day = start + datetime.timedelta(weeks=week, days=rng.randrange(1, 8))
                dates.append(min(day, self.today))
        if self.user.email in DUE_TODAY:
            dates.append(self.today - datetime.timedelta(days=1))  # its day-1 check-in is due today
        return sorted(dates)

    def build(self) -> None:
        for lost_on in self.lost_dates():
            self.build_loss(lost_on)

    def build_loss(self, lost_on: datetime.date) -> None:
        rng = self.rng
        age = (self.today - lost_on).days
        picked = _weighted_sample(rng, REASON_WEIGHTS, rng.choices([1, 2, 3], weights=[5, 4, 1])[0])
        home = HOME_CURRENCY[self.user.email]
        currency = (
            home if rng.random() < 0.75 else rng.choice([c for c in ("EUR", "GBP", "USD") if c != home])
        )
        competitor = ""
        if "competitor" in picked or rng.random() < 0.1:
            competitor = rng.choice(COMPETITORS)
        deal = LostDeal(
            owner=self.user,
            name=f"{rng.choice(ACCOUNTS)} \u2013 {rng.choice(DEAL_KINDS)}",  # an en dash
            amount=_amount(rng),
            currency=currency,
            stage=rng.choices(list(STAGE_WEIGHTS), weights=list(STAGE_WEIGHTS.values()))[0],
            lost_on=lost_on,
            competitor=competitor,
            notes=rng.choice(NOTES) if rng.random() < 0.3 else "",
        )
        # Moving on: most losses older than two weeks, a few days to two weeks after the loss.
        moved_on_day = None
        if (age >= 15 and rng.random() < 0.7) or (age >= 5 and rng.random() < 0.2):
            recovery_days = rng.randint(3, min(14, age - 1))
            moved_on_day = lost_on + datetime.timedelta(days=recovery_days)
            deal.moved_on_at = _aware(moved_on_day, rng.randint(9, 18), rng.randrange(60), self.now)
            deal.recovery_days = recovery_days
        self.deals.append(deal)
        self.deal_reasons.append([self.reasons[slug] for slug in picked])

        # The first mood, on the day of the loss (sometimes the next), low as losses are.
        mood = rng.choices([1, 2, 3], weights=[3, 5, 2])[0]
        reflection = Reflection(deal=deal)
        state = rng.random() if age > 1 else rng.random() * 0.25  # the newest: not finished yet
        if state >= 0.08:  # a few are left untouched
            reflection.emotions = rng.sample(UNPLEASANT, rng.randint(1, 3)) + (
                [rng.choice(PLEASANT)] if rng.random() < 0.5 else []
            )
            reflection.mood = mood
            reflection.mood_at = _aware(
                lost_on + datetime.timedelta(days=1 if rng.random() < 0.2 and age > 1 else 0),
                rng.randint(12, 20),
                rng.randrange(60),
                self.now,
            )
            reflection.feelings = rng.choice(FEELINGS)
        if state >= 0.25:  # most are finished; the rest stop after the first step
            reflection.talk_to = rng.choice(
                [name for email, name in DEMO_PEOPLE if email != self.user.email] + ["My mentor"]
            )
            reflection.unhelpful_advice = rng.choice(UNHELPFUL_ADVICE) if rng.random() < 0.3 else ""
            reflection.outside_control = rng.choice(OUTSIDE_CONTROL)
            reflection.lesson = rng.choice(LESSONS)
            finished_at = _aware(
                lost_on + datetime.timedelta(days=rng.choice([0, 0, 1, 2])), 21, rng.randrange(60), self.now
            )
            reflection.finished_at = max(finished_at, reflection.mood_at)
        self.reflections.append(reflection)

        # Check-ins one, three and seven days later, each a little better than the last.
        for day in CheckIn.PROMPT_DAYS:
            due_on = lost_on + datetime.timedelta(days=day)
            check_in = CheckIn(deal=deal, due_on=due_on)
            if due_on > self.today or (due_on == self.today and self.user.email in DUE_TODAY):
                pass  # still to come, or waiting for an answer today
            elif moved_on_day is not None and due_on > moved_on_day:
                pass  # moved on before it: it is never asked
            elif rng.random() < 0.1:
                check_in.dismissed_at = _aware(due_on, 9, rng.randrange(60), self.now)
            else:
                mood = max(1, min(5, mood + rng.choices([-1, 0, 1, 2], weights=[1, 3, 5, 2])[0]))
                check_in.mood = mood
                check_in.note = rng.choice(CHECK_IN_NOTES) if rng.random() < 0.4 else ""
                check_in.answered_at = _aware(due_on, rng.randint(8, 21), rng.randrange(60), self.now)
            self.check_ins.append(check_in)

    def save(self) -> int:
        LostDeal.objects.bulk_create(self.deals)
        LostDeal.reasons.through.objects.bulk_create(
            LostDeal.reasons.through(lostdeal_id=deal.pk, lossreason_id=reason.pk)
            for deal, reasons in zip(self.deals, self.deal_reasons, strict=True)
            for reason in reasons
        )
        for item in (*self.reflections, *self.check_ins):
            item.deal_id = item.deal.pk
        Reflection.objects.bulk_create(self.reflections)
        CheckIn.objects.bulk_create(self.check_ins)
        return len(self.deals)


class Command(BaseCommand):
    help = "Create the demo people (and their data). Safe to run again: it changes nothing twice."

    @transaction.atomic
    def handle(self, *args, **options):
        today, now = timezone.localdate(), timezone.now()
        reasons = {r.slug: r for r in LossReason.objects.filter(slug__in=REASON_WEIGHTS)}
        created_losses = 0
        for email, name in DEMO_PEOPLE:
            user, created = User.objects.get_or_create(email=email, defaults={"name": name})
            if created:
                user.set_password(DEMO_PASSWORD)
                user.save(update_fields=["password"])
            EmailAddress.objects.update_or_create(
                user=user, email=email, defaults={"verified": True, "primary": True}
            )
            # Somebody who already has losses (from an earlier run, or of their own) keeps them.
            if not LostDeal.objects.filter(owner=user).exists():
                demo = DemoLosses(user, today, now, reasons)
                demo.build()
                created_losses += demo.save()
        if created_losses:
            self.stdout.write(f"Created {created_losses} demo losses over the last {DEMO_WEEKS} weeks.")
        self.stdout.write(f"Demo logins (password for each: {DEMO_PASSWORD}):")
        self.stdout.write(f"  manager: {DEMO_PEOPLE[0][0]} ({DEMO_PEOPLE[0][1]})")
        for email, name in DEMO_PEOPLE[1:]:
            self.stdout.write(f"  rep:     {email} ({name})")
