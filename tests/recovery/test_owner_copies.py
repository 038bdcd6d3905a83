"""A reflection and its deal's check-ins carry the deal's owner, copied when they are made.

The morale dashboard reads a team's moods by owner and date from one index (no join with the
deals), so every way of making them must copy the owner: logging a loss, moving its date, and
a check-in made unprompted. (Imports: tests/recovery/test_imports.py.)
"""

from django.utils import timezone

from recovery import services
from recovery.models import CheckIn, Reflection
from tests.conftest import make_loss, make_user


def owners_of(deal) -> set[int]:
    return {
        *Reflection.objects.filter(deal=deal).values_list("owner", flat=True),
        *CheckIn.objects.filter(deal=deal).values_list("owner", flat=True),
    }


def test_logging_a_loss_gives_its_reflection_and_prompts_the_owner(owner):
    deal = make_loss(owner, days_ago=0)

    assert CheckIn.objects.filter(deal=deal).count() == 3
    assert owners_of(deal) == {owner.pk}


def test_prompts_made_again_for_a_new_date_carry_the_owner(owner):
    deal = make_loss(owner, days_ago=20)  # no prompts ahead
    services.lost_deal_update(
        deal=deal,
        name=deal.name,
        stage=deal.stage,
        lost_on=timezone.localdate(),
        reasons=deal.reasons.all(),
        amount=deal.amount,
        currency=deal.currency,
        competitor=deal.competitor,
        notes=deal.notes,
    )

    assert CheckIn.objects.filter(deal=deal, due_on__isnull=False).count() == 3
    assert owners_of(deal) == {owner.pk}


def test_an_unprompted_check_in_carries_the_owner(owner):
    somebody_else = make_user("else@example.com", "Somebody Else")
    make_loss(somebody_else)
    deal = make_loss(owner)

    check_in = services.check_in_create(deal=deal, mood=4)

    assert check_in.owner_id == owner.pk
