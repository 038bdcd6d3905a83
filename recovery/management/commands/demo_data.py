import datetime
import random

from allauth.account.models import EmailAddress
from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils import timezone

from recovery.models import CheckIn, LossReason, LostDeal, Reflection, Stage
from teams.models import (
    Audience,
    Comment,
    Encouragement,
    Membership,
    Notification,
    Role,
    SharedLoss,
    Team,
    TrustedColleague,
    User,
)

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


# The teams part: one team, everyone in it, trusted lists, shared losses and the support they got.
DEMO_TEAM = "EMEA Mid-Market"
SHARE_RATE = 0.33  # with the few shared on purpose, about a third of the finished reflections
TRUSTED_SHARE_RATE = 0.25  # the rest are shared with the whole team
# "Needs encouragement" (no support after 24 hours) always has something to show.
UNSUPPORTED = 3
SHARE_MESSAGES = [
    "Lost this one on price. Any ideas for next time?",
    "This one hurt. We were so close.",
    "Sharing so I don't keep it to myself. Has anyone sold against them before?",
    "Champion left two weeks before signing. Has this happened to you?",
    "Procurement killed it in the last week. Tips for getting them in earlier?",
    "Went with the competitor. I think we lost it in discovery.",
    "No decision in the end: they're keeping their spreadsheets. Onwards.",
    "Lesson learned on this one, writing it down so it sticks.",
    "",
]
SUPPORTIVE_COMMENTS = [
    "Been there with a very similar deal last quarter. It stings, and it's okay that it does.",
    "Thanks for sharing this. Losing on price to a discounter says nothing about how you ran it.",
    "Your discovery notes on this one were some of the best I've seen. Happy to go through them together.",
    "That champion leaving was bad luck, nothing you could have controlled.",
    "Proud of you for putting it out there. Want to grab a coffee tomorrow?",
    "Same thing happened to me with their procurement team. Let's compare notes before your next one.",
    "You handled a really tough buying committee well. The next one will land.",
    "I love the lesson you took from this. Stealing it for my own deals!",
    "Rough week. Shout if you want to role-play the pricing conversation before Thursday.",
    "Thank you for being open about it. It makes it easier for the rest of us to share ours.",
    "They were a hard account for everyone who's tried. Take the time you need.",
    "Multi-threading saved me on a similar one. Happy to show you how I map the stakeholders.",
]
OWNER_REPLIES = [
    "Thank you, this really helps.",
    "Thanks all. Coffee sounds good!",
    "Appreciate it. Feeling better about it already.",
    "Thanks, I'll take you up on that.",
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
        reflection = Reflection(deal=deal, owner_id=deal.owner_id)
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
            check_in = CheckIn(deal=deal, owner_id=deal.owner_id, due_on=due_on)
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


def _hours(rng: random.Random, low: float, high: float) -> datetime.timedelta:
    return datetime.timedelta(hours=rng.uniform(low, high))


class DemoTeam:
    """The demo people's team: Maya manages it, everyone is in it; trusted lists; shares and support.

    Rows are written directly, never through the services, so the demo sends no email. Only the
    losses made in this run are shared: a person's own losses stay private.
    """

    def __init__(self, people: list[User], now: datetime.datetime):
        self.people = people
        self.manager = people[0]
        self.now = now
        self.rng = random.Random("rebound-demo-teams")
        self.created: dict[str, int] = {}
        # Rows whose created_at (auto_now_add) is put back at the moment they happened.
        self.dated: dict[type, list[tuple[object, datetime.datetime]]] = {
            Encouragement: [],
            Comment: [],
            Notification: [],
        }

    def ensure_team(self) -> Team:
        since = self.now - datetime.timedelta(weeks=DEMO_WEEKS + 1)
        team = Team.objects.filter(
            name=DEMO_TEAM, memberships__user=self.manager, memberships__role=Role.MANAGER
        ).first()
        if team is None:
            team = Team.objects.create(name=DEMO_TEAM)
            Team.objects.filter(pk=team.pk).update(created_at=since)
            self.created["team"] = 1
        members = set(Membership.objects.filter(team=team).values_list("user_id", flat=True))
        joining = Membership.objects.bulk_create(
            Membership(team=team, user=user, role=Role.MANAGER if user == self.manager else Role.MEMBER)
            for user in self.people
            if user.pk not in members
        )
        Membership.objects.filter(pk__in=[m.pk for m in joining]).update(joined_at=since)
        self.team = team
        return team

    def ensure_trusted(self) -> dict[int, set[int]]:
        """Two or three trusted teammates for whoever has no list yet. Returns {owner id: colleague ids}."""
        lists: dict[int, set[int]] = {}
        for owner_id, colleague_id in TrustedColleague.objects.filter(owner__in=self.people).values_list(
            "owner_id", "colleague_id"
        ):
            lists.setdefault(owner_id, set()).add(colleague_id)
        new = []
        for user in self.people:
            if user.pk in lists:
                continue  # A list of their own stays as it is.
            picked = self.rng.sample([p for p in self.people if p != user], self.rng.randint(2, 3))
            lists[user.pk] = {p.pk for p in picked}
            new.extend(TrustedColleague(owner=user, colleague=p) for p in picked)
        TrustedColleague.objects.bulk_create(new)
        self.created["trusted"] = len(new)
        team_ids = {p.pk for p in self.people}
        return {owner_id: ids & team_ids for owner_id, ids in lists.items()}

    def pick_people(self, demos: list["DemoLosses"]) -> None:
        """Tip 2: a colleague named as the one to talk to becomes a colleague picked from the team."""
        by_name = {p.name: p for p in self.people}
        picked = [r for demo in demos for r in demo.reflections if r.talk_to in by_name]
        Reflection.people.through.objects.bulk_create(
            Reflection.people.through(reflection_id=r.pk, user_id=by_name[r.talk_to].pk) for r in picked
        )
        for reflection in picked:
            reflection.talk_to = ""
        Reflection.objects.bulk_update(picked, ["talk_to"], batch_size=500)

    def share(self, demos: list["DemoLosses"], trusted: dict[int, set[int]]) -> None:
        """Share about a third of the reflections finished in this run; most get support."""
        rng = self.rng
        finished = sorted(
            (
                (reflection.finished_at, deal)
                for demo in demos
                for deal, reflection in zip(demo.deals, demo.reflections, strict=True)
                if reflection.finished_at is not None
            ),
            key=lambda item: (item[0], item[1].pk),
        )
        # The newest shared more than a day ago have had no answer yet ("needs encouragement").
        a_day_ago = self.now - datetime.timedelta(hours=28)  # shared up to 3 hours after finishing
        waiting = {deal.pk for finished_at, deal in [f for f in finished if f[0] <= a_day_ago][-UNSUPPORTED:]}
        shares, unsupported = [], []
        for finished_at, deal in finished:
            on_purpose = deal.pk in waiting
            if not on_purpose and rng.random() >= SHARE_RATE:
                continue
            audience = Audience.TEAM
            if not on_purpose and trusted.get(deal.owner_id) and rng.random() < TRUSTED_SHARE_RATE:
                audience = Audience.TRUSTED
            shared = SharedLoss(
                deal=deal,
                audience=audience,
                team=self.team if audience == Audience.TEAM else None,
                message=rng.choice(SHARE_MESSAGES),
                show_name=rng.random() < 0.5,
                show_amount=rng.random() < 0.3,
                include_lesson=rng.random() < 0.5,
                shared_at=min(finished_at + _hours(rng, 0.2, 3), self.now),
            )
            shares.append(shared)
            # Shared in the last day: often no support yet.
            just_shared = self.now - shared.shared_at < datetime.timedelta(hours=24)
            unsupported.append(on_purpose or (just_shared and rng.random() < 0.6))
        SharedLoss.objects.bulk_create(shares)
        for shared, left_alone in zip(shares, unsupported, strict=True):
            self.support(shared, trusted, left_alone=left_alone)
        self.save_dated()
        self.created.update(
            shares=len(shares),
            encouragements=len(self.dated[Encouragement]),
            comments=len(self.dated[Comment]),
        )

    def audience(self, shared: SharedLoss, trusted: dict[int, set[int]]) -> list[int]:
        owner = shared.deal.owner_id
        if shared.audience == Audience.TEAM:
            return sorted(p.pk for p in self.people if p.pk != owner)
        return sorted(trusted.get(owner, ()))

    def notify(
        self, recipient: int, kind: str, actor: int, shared: SharedLoss, when, *, unread=False
    ) -> None:
        notification = Notification(recipient_id=recipient, kind=kind, actor_id=actor, shared=shared)
        # Older news has been read; about half of the last four days' is still waiting.
        if not unread and (self.now - when > datetime.timedelta(days=4) or self.rng.random() < 0.5):
            notification.read_at = min(when + _hours(self.rng, 0.5, 18), self.now)
        self.dated[Notification].append((notification, when))

    def support(self, shared: SharedLoss, trusted: dict[int, set[int]], *, left_alone: bool) -> None:
        """Tell the audience, then encouragement and supportive comments from some of them."""
        rng, owner = self.rng, shared.deal.owner_id
        audience = self.audience(shared, trusted)
        for person in audience:
            # Nobody has answered a loss left alone: nobody has opened its news yet either.
            self.notify(person, Notification.Kind.SHARED, owner, shared, shared.shared_at, unread=left_alone)
        if left_alone or not audience:
            return
        supporters = rng.sample(audience, rng.randint(1, min(4, len(audience))))
        moment = shared.shared_at
        for supporter in supporters:
            for kind in rng.sample(Encouragement.Kind.values, rng.choice([1, 1, 2])):
                moment = min(moment + _hours(rng, 0.3, 8), self.now)
                self.dated[Encouragement].append(
                    (Encouragement(shared=shared, user_id=supporter, kind=kind), moment)
                )
                self.notify(owner, Notification.Kind.ENCOURAGEMENT, supporter, shared, moment)
        if rng.random() < 0.65:
            for author in rng.sample(supporters, min(len(supporters), rng.randint(1, 2))):
                moment = min(moment + _hours(rng, 0.5, 10), self.now)
                comment = Comment(shared=shared, author_id=author, body=rng.choice(SUPPORTIVE_COMMENTS))
                self.dated[Comment].append((comment, moment))
                self.notify(owner, Notification.Kind.COMMENT, author, shared, moment)
            if rng.random() < 0.25:  # The owner says thank you.
                moment = min(moment + _hours(rng, 1, 12), self.now)
                comment = Comment(shared=shared, author_id=owner, body=rng.choice(OWNER_REPLIES))
                self.dated[Comment].append((comment, moment))

    def save_dated(self) -> None:
        for model, dated in self.dated.items():
            rows = [row for row, _ in dated]
            model.objects.bulk_create(rows)
            # created_at is set on insert (auto_now_add): put each row back at its moment.
            for row, when in dated:
                row.created_at = when
            model.objects.bulk_update(rows, ["created_at"], batch_size=500)


class Command(BaseCommand):
    help = "Create the demo people (and their data). Safe to run again: it changes nothing twice."

    @transaction.atomic
    def handle(self, *args, **options):
        today, now = timezone.localdate(), timezone.now()
        reasons = {r.slug: r for r in LossReason.objects.filter(slug__in=REASON_WEIGHTS)}
        created_losses = 0
        people, demos = [], []
        for email, name in DEMO_PEOPLE:
            user, created = User.objects.get_or_create(email=email, defaults={"name": name})
            if created:
                user.set_password(DEMO_PASSWORD)
                user.save(update_fields=["password"])
            EmailAddress.objects.update_or_create(
                user=user, email=email, defaults={"verified": True, "primary": True}
            )
            people.append(user)
            # Somebody who already has losses (from an earlier run, or of their own) keeps them.
            if not LostDeal.objects.filter(owner=user).exists():
                demo = DemoLosses(user, today, now, reasons)
                demo.build()
                created_losses += demo.save()
                demos.append(demo)
        if created_losses:
            self.stdout.write(f"Created {created_losses} demo losses over the last {DEMO_WEEKS} weeks.")
        self.teams_part(people, demos, now)
        self.stdout.write(f"Demo logins (password for each: {DEMO_PASSWORD}):")
        self.stdout.write(f"  manager: {DEMO_PEOPLE[0][0]} ({DEMO_PEOPLE[0][1]})")
        for email, name in DEMO_PEOPLE[1:]:
            self.stdout.write(f"  rep:     {email} ({name})")

    def teams_part(self, people: list[User], demos: list[DemoLosses], now: datetime.datetime) -> None:
        demo_team = DemoTeam(people, now)
        demo_team.ensure_team()
        demo_team.pick_people(demos)
        demo_team.share(demos, demo_team.ensure_trusted())
        created = demo_team.created
        if created.get("team"):
            self.stdout.write(
                f"Created the team {DEMO_TEAM}, managed by {people[0].email}, with everyone in it."
            )
        if created.get("trusted"):
            self.stdout.write(f"Created {created['trusted']} trusted colleagues (two or three each).")
        if created.get("shares"):
            self.stdout.write(
                f"Created {created['shares']} shared losses, with {created['encouragements']} encouragements "
                f"and {created['comments']} comments."
            )
