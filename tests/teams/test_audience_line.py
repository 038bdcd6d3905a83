"""Privacy rule 4: every loss page says, in one line, exactly who can see it."""

import pytest
from django.urls import reverse
from django.utils.html import escape

from teams import services as team_services
from teams.access import SHARED_PARTS
from teams.models import TrustedColleague
from tests.conftest import HEADER_QUERIES, audience_line_of, join, make_loss, make_user, share


def detail_url(deal):
    return reverse("recovery:loss_detail", kwargs={"code": deal.code})


def shown_line(client, deal):
    text = client.get(detail_url(deal)).text
    return text.split('<p class="loss-audience">')[1].split("</p>")[0]


# ---------------------------------------------------------------- the three forms of the sentence


def test_a_private_loss_is_seen_by_its_owner_only(owner_client, loss, team, teammate):
    assert audience_line_of(loss) == "Only you can see this loss."
    assert shown_line(owner_client, loss) == "Only you can see this loss."


def test_a_team_share_names_the_team_and_counts_the_other_people(owner_client, loss, team, teammate, trusted):
    share(loss, team=team)
    # The manager, Theo and Tara: the owner is not counted.
    expected = f"Shared with everyone in EMEA Mid-Market (3 other people). {SHARED_PARTS}"
    assert audience_line_of(loss) == expected
    assert shown_line(owner_client, loss) == escape(expected)


def test_a_team_of_two_says_one_other_person(owner, loss):
    duo = team_services.team_create(creator=owner, name="Duo")
    join(duo, make_user("ana@example.com", "Ana Silva"))
    share(loss, team=duo)
    assert audience_line_of(loss).startswith("Shared with everyone in Duo (1 other person). ")


def test_a_trusted_share_names_each_trusted_colleague(owner, owner_client, loss, team, teammate, trusted):
    TrustedColleague.objects.create(owner=owner, colleague=team.members.get(email="manager@example.com"))
    share(loss)
    expected = f"Shared with your trusted colleagues: Maya Manager, Tara Trusted. {SHARED_PARTS}"
    assert audience_line_of(loss) == expected
    assert shown_line(owner_client, loss) == escape(expected)
    assert "Theo Teammate" not in owner_client.get(detail_url(loss)).text


def test_the_line_follows_who_can_see_it_at_once(owner, loss, team, trusted):
    share(loss)
    assert audience_line_of(loss) == f"Shared with your trusted colleagues: Tara Trusted. {SHARED_PARTS}"
    # Tara leaves the only team they shared: she no longer sees it, and the line says so.
    team_services.membership_leave(membership=trusted.memberships.get(team=team))
    assert audience_line_of(loss) == (
        "Shared with your trusted colleagues, but none of them is in your teams now: only you see it."
    )


def test_a_team_share_counts_current_members_only(loss, team, teammate, former_member):
    share(loss, team=team)
    assert "(2 other people)" in audience_line_of(loss)  # the manager and Theo, not Fiona who left
    join(team, make_user("new@example.com", "Nia Newcomer"))
    assert "(3 other people)" in audience_line_of(loss)


def test_the_line_never_lists_the_private_parts_as_shared(loss, team):
    share(loss, team=team)
    assert "never your feelings, notes or check-ins" in audience_line_of(loss)


# ---------------------------------------------------------------- the loss page's cost


@pytest.mark.parametrize("how_many", [3, 50])
@pytest.mark.parametrize(
    ("audience", "queries"),
    [
        # Session, user, loss with its reflection and share, reasons, check-ins.
        (None, 5),
        # ... then the audience line's count of the team, or the trusted colleagues' names.
        ("team", 6),
        ("trusted", 6),
    ],
)
def test_loss_page_runs_a_fixed_number_of_queries(
    owner, owner_client, team, how_many, audience, queries, django_assert_num_queries
):
    for i in range(how_many):
        colleague = make_user(f"colleague{i}@example.com", f"Colleague {i}")
        join(team, colleague)
        TrustedColleague.objects.create(owner=owner, colleague=colleague)
    deal = make_loss(owner)
    if audience:
        share(deal, team=team if audience == "team" else None)
    with django_assert_num_queries(queries + HEADER_QUERIES):
        response = owner_client.get(detail_url(deal))
    assert response.status_code == 200
    if audience == "team":
        assert f"({how_many + 1} other people)" in response.text
    elif audience == "trusted":
        assert response.text.count("Colleague ") == how_many
