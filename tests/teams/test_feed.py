"""The feed: the shared losses a person may see, newest first, with their support counts."""

import datetime

import pytest
from django.template import Context, Template
from django.urls import reverse
from django.utils import timezone

from teams import access, selectors
from teams import services as team_services
from teams.models import Comment, Encouragement, Membership, SharedLoss, TrustedColleague
from teams.views.feed import SHARES_PER_PAGE
from tests.conftest import HEADER_QUERIES, join, make_loss, make_user, share

FEED = reverse("teams:feed")


def titles(response):
    return [card.title for card in response.context["cards"]]


# ---------------------------------------------------------------- access


def test_anonymous_is_sent_to_login(client, db):
    response = client.get(FEED)
    assert response.status_code == 302
    assert response.url.startswith(reverse("account_login"))


def test_feed_refuses_post(owner_client):
    assert owner_client.post(FEED).status_code == 405


def test_teammate_sees_a_loss_shared_with_the_team(client, owner, team, teammate):
    share(make_loss(owner, name="Globex expansion"), team=team)
    client.force_login(teammate)
    response = client.get(FEED)
    assert response.status_code == 200
    assert titles(response) == ["Globex expansion"]
    assert "Shared by Olivia Owner with EMEA Mid-Market" in response.text
    assert "Lost this one on price. Any ideas for next time?" in response.text
    assert "Price or budget" in response.text


def test_manager_of_the_team_sees_what_was_shared_with_the_team_as_a_member(client, owner, team, manager):
    share(make_loss(owner, name="Globex expansion"), team=team)
    client.force_login(manager)
    assert titles(client.get(FEED)) == ["Globex expansion"]


@pytest.mark.parametrize("persona", ["former_member", "other_team_member", "outsider"])
def test_people_outside_the_team_do_not_see_its_shared_losses(client, request, owner, team, persona):
    share(make_loss(owner, name="Globex expansion"), team=team)
    client.force_login(request.getfixturevalue(persona))
    response = client.get(FEED)
    assert response.status_code == 200
    assert titles(response) == []
    assert "Globex expansion" not in response.text
    assert "Nothing shared with you yet" in response.text


def test_a_trusted_share_reaches_trusted_colleagues_and_not_the_rest_of_the_team(
    client, owner, team, trusted, teammate, manager
):
    share(make_loss(owner, name="Initech pilot"), team=None)
    client.force_login(trusted)
    assert titles(client.get(FEED)) == ["Initech pilot"]
    for person in (teammate, manager):
        client.force_login(person)
        response = client.get(FEED)
        assert titles(response) == []
        assert "Initech pilot" not in response.text


def test_someone_who_leaves_the_team_stops_seeing_its_losses_at_once(client, owner, team, teammate):
    share(make_loss(owner, name="Globex expansion"), team=team)
    client.force_login(teammate)
    assert titles(client.get(FEED)) == ["Globex expansion"]
    team_services.membership_leave(membership=teammate.memberships.get(team=team))
    response = client.get(FEED)
    assert titles(response) == []
    assert "Globex expansion" not in response.text


def test_an_unshared_loss_leaves_the_feed(client, owner, team, teammate):
    shared = share(make_loss(owner, name="Globex expansion"), team=team)
    team_services.loss_unshare(shared=shared)
    client.force_login(teammate)
    assert "Globex expansion" not in client.get(FEED).text


def test_the_feed_lists_exactly_what_the_access_rule_lets_each_person_see(
    owner, team, teammate, trusted, manager, former_member, other_team_member, outsider
):
    """The feed lists shares through the rule's three parts (teams.access.newest_visible_shares
    and visible_share_count); it must agree with the rule itself (visible_shares) on every page,
    for every persona, including the owner's shares with a team they have since left."""
    old_team = team_services.team_create(creator=outsider, name="Old Team")
    join(old_team, owner)
    trusted_left = make_user("trusted-left@example.com", "Tess Trustedleft")
    join(old_team, trusted_left)
    TrustedColleague.objects.create(owner=owner, colleague=trusted_left)
    with_team = [share(make_loss(owner, name=f"Team {n}", days_ago=n), team=team) for n in range(5)]
    with_trusted = [share(make_loss(owner, name=f"Trusted {n}", days_ago=n)) for n in range(4)]
    with_old_team = share(make_loss(owner, name="Old team"), team=old_team)
    by_teammate = share(make_loss(teammate, name="Teammate's"), team=team)
    # Leaving through the services unshares what one shared with the team; the rule holds without.
    Membership.objects.filter(team=old_team, user__in=[owner, trusted_left]).delete()

    expected = {
        owner: {*with_team, *with_trusted, with_old_team, by_teammate},
        teammate: {*with_team, by_teammate},
        manager: {*with_team, by_teammate},
        trusted: {*with_team, *with_trusted, by_teammate},
        trusted_left: set(),  # trusted, but no longer shares a team with the owner
        outsider: {with_old_team},  # still in the team the owner left
        former_member: set(),
        other_team_member: set(),
    }
    for person, shares in expected.items():
        newest_first = [
            shared.deal.code
            for shared in sorted(shares, key=lambda shared: (shared.shared_at, shared.pk), reverse=True)
        ]
        assert set(access.visible_shares(person)) == shares, person
        feed = selectors.Feed(person)
        assert feed.count() == len(shares), person
        for start in range(0, len(shares) + 3, 3):
            page = [card.code for card in feed[start : start + 3]]
            assert page == newest_first[start : start + 3], (person, start)


# ---------------------------------------------------------------- what is shown


def test_the_account_name_and_amount_are_shown_only_if_the_owner_allowed_them(client, owner, team, teammate):
    share(make_loss(owner, name="Secret Corp", amount=98765, stage="negotiation"), team=team, show_name=False)
    client.force_login(teammate)
    response = client.get(FEED)
    assert "Secret Corp" not in response.text
    assert "98,765" not in response.text and "98765" not in response.text
    assert titles(response) == ["A deal lost at the negotiation stage"]


def test_the_account_name_and_amount_appear_when_the_owner_shows_them(client, owner, team, teammate):
    share(make_loss(owner, name="Open Corp", amount=98765, currency="EUR"), team=team, show_amount=True)
    client.force_login(teammate)
    response = client.get(FEED)
    assert "Open Corp" in response.text
    assert "EUR 98,765" in response.text


def test_each_item_shows_stage_date_and_reasons(client, owner, team, teammate):
    deal = make_loss(owner, stage="demo", days_ago=3, reasons=("timing", "my-follow-up"))
    share(deal, team=team)
    client.force_login(teammate)
    response = client.get(FEED)
    assert "Demo" in response.text
    assert deal.lost_on.strftime("%-d %b %Y") in response.text
    for reason in deal.reasons.all():
        assert reason.label in response.text


def test_my_own_shared_losses_appear_marked_as_mine(owner_client, owner, team):
    share(make_loss(owner, name="My own loss"), team=team)
    response = owner_client.get(FEED)
    assert titles(response) == ["My own loss"]
    assert "You shared this" in response.text
    assert "Shared by you with EMEA Mid-Market" in response.text


def test_a_colleagues_loss_is_not_marked_as_mine(client, owner, team, teammate):
    share(make_loss(owner), team=team)
    client.force_login(teammate)
    assert "You shared this" not in client.get(FEED).text


def test_newest_share_comes_first(client, owner, team, teammate):
    older = share(make_loss(owner, name="Older"), team=team)
    SharedLoss.objects.filter(pk=older.pk).update(shared_at=timezone.now() - datetime.timedelta(days=2))
    share(make_loss(owner, name="Newer"), team=team)
    client.force_login(teammate)
    assert titles(client.get(FEED)) == ["Newer", "Older"]


def test_the_feed_is_paginated(client, owner, team, teammate):
    for number in range(SHARES_PER_PAGE + 3):
        share(make_loss(owner, name=f"Deal {number:02}"), team=team)
    client.force_login(teammate)
    first = client.get(FEED)
    second = client.get(FEED, {"page": 2})
    assert len(titles(first)) == SHARES_PER_PAGE
    assert len(titles(second)) == 3
    assert set(titles(first)).isdisjoint(titles(second))
    assert "Page 1 of 2" in first.text


def test_empty_feed_encourages_sharing_with_tip_4(outsider_client):
    response = outsider_client.get(FEED)
    assert (
        "Rejection is universal; sharing a lost sale with colleagues builds stronger professional bonds."
        in (response.text)
    )
    assert reverse("recovery:loss_list") in response.text


# ---------------------------------------------------------------- support counts


def test_counts_encouragement_and_comments_without_hidden_ones(client, owner, team, teammate, manager):
    shared = share(make_loss(owner), team=team)
    team_services.encouragement_toggle(shared=shared, user=teammate, kind=Encouragement.Kind.BEEN_THERE)
    team_services.encouragement_toggle(shared=shared, user=teammate, kind=Encouragement.Kind.PROUD)
    team_services.encouragement_toggle(shared=shared, user=manager, kind=Encouragement.Kind.PROUD)
    team_services.comment_create(shared=shared, author=teammate, body="Been there, you'll get the next one.")
    hidden = team_services.comment_create(shared=shared, author=manager, body="Hidden by the owner.")
    team_services.comment_set_hidden(comment=hidden, hidden=True)
    client.force_login(teammate)
    response = client.get(FEED)
    (card,) = response.context["cards"]
    assert (card.encouragement_count, card.comment_count) == (3, 1)
    assert "3 encouragements" in response.text
    assert "1 comment<" in response.text


def test_a_loss_with_no_support_stands_out(client, owner, team, teammate):
    share(make_loss(owner, name="Lonely"), team=team)
    supported = share(make_loss(owner, name="Supported"), team=team)
    team_services.comment_create(shared=supported, author=teammate, body="Here for you.")
    client.force_login(teammate)
    response = client.get(FEED)
    needs = {card.title: card.has_support for card in response.context["cards"]}
    assert needs == {"Lonely": False, "Supported": True}
    assert response.text.count("No support yet: be the first") == 1
    assert response.text.count("feed-item--needs-support") == 1


def test_a_hidden_comment_alone_does_not_count_as_support(client, owner, team, teammate):
    shared = share(make_loss(owner), team=team)
    comment = team_services.comment_create(shared=shared, author=teammate, body="Hidden.")
    team_services.comment_set_hidden(comment=comment, hidden=True)
    client.force_login(teammate)
    assert "No support yet: be the first" in client.get(FEED).text


# ---------------------------------------------------------------- query count


# Session and user, then the feed's own: the count for the paginator, the page of shares (with
# their owners, teams and support counts in one query), their reasons.
FEED_QUERIES = 2 + 3


@pytest.mark.parametrize("how_many", [3, 50])
def test_feed_runs_a_fixed_number_of_queries(
    client, owner, team, teammate, django_assert_num_queries, how_many
):
    colleague = make_user("colleague@example.com", "Cleo Colleague")
    team.memberships.create(user=colleague)
    for number in range(how_many):
        shared = share(make_loss(owner, name=f"Deal {number}", reasons=("timing", "price-budget")), team=team)
        team_services.encouragement_toggle(shared=shared, user=colleague, kind=Encouragement.Kind.PROUD)
        Comment.objects.create(shared=shared, author=colleague, body="With you.")
    client.force_login(teammate)
    with django_assert_num_queries(FEED_QUERIES + HEADER_QUERIES):
        response = client.get(FEED)
    assert len(response.context["cards"]) == min(how_many, SHARES_PER_PAGE)
    assert all(
        card.encouragement_count == 1 and card.comment_count == 1 for card in response.context["cards"]
    )


# ---------------------------------------------------------------- dates


@pytest.mark.parametrize("zone", ["UTC", "Europe/Paris", "America/Los_Angeles", "Asia/Kolkata"])
def test_cards_and_comments_write_their_dates_as_the_date_filter_does(zone):
    """SharedCard and CommentItem write their dates themselves (the date filter costs five times
    more); the text must be what {{ value|date:"…" }} writes, in the current time zone."""
    page = Template(
        "{{ at|date:'c' }}|{{ at|date:'j M Y' }}|{{ at|date:'j M Y, H:i' }}|{{ on|date:'j M Y' }}"
    )
    moments = [
        datetime.datetime(2026, month, day, hour, minute, tzinfo=datetime.UTC)
        for month, day, hour, minute in [
            (1, 1, 0, 0),
            (3, 29, 1, 30),
            (9, 9, 23, 59),
            (10, 25, 0, 5),
            (12, 31, 23, 0),
        ]
    ] + [datetime.datetime(987, 5, 4, 3, 2, tzinfo=datetime.UTC)]
    with timezone.override(zone):
        for at in moments:
            on = at.date()
            card = selectors.SharedCard(
                code=None, title="", stage="", lost_on=on, amount=None, currency="", reasons=[],
                message="", owner_name="", is_mine=False, team_name="", shared_at=at, url="",
            )  # fmt: skip
            comment = selectors.CommentItem(
                code=None, author_id=None, author_name=None, body="", created_at=at, hidden_at=None
            )
            ours = f"{card.shared_at_iso}|{card.shared_on}|{comment.created_on}|{card.lost_on_display}"
            assert comment.created_at_iso == card.shared_at_iso
            assert ours == page.render(Context({"at": at, "on": on})), (zone, at)
