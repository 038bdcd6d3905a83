"""Comments on a shared loss: posted by its audience, escaped, hidden or shown again by its owner."""

import pytest
from django.contrib.messages import get_messages
from django.test import Client
from django.urls import reverse

from teams import services as team_services
from teams.models import Comment, Notification
from tests.conftest import make_loss, share

SUPPORTIVE = "That sounds hard. Happy to go through the proposal with you if it helps."


@pytest.fixture
def deal(owner):
    return make_loss(owner, name="Globex expansion")


@pytest.fixture
def shared(deal, team):
    return share(deal, team=team)


@pytest.fixture
def comment(shared, teammate):
    return team_services.comment_create(
        shared=shared, author=teammate, body="Rough one. Proud of you for sharing."
    )


def comment_url(deal):
    return reverse("teams:comment_create", kwargs={"code": deal.code})


def page_url(deal):
    return reverse("teams:shared_loss", kwargs={"code": deal.code})


def hide_url(comment):
    return reverse("teams:comment_hide", kwargs={"code": comment.code})


def show_url(comment):
    return reverse("teams:comment_show", kwargs={"code": comment.code})


def message_texts(response):
    return [str(message) for message in get_messages(response.wsgi_request)]


# ---------------------------------------------------------------- posting: access


def test_anonymous_is_sent_to_login_and_nothing_is_posted(client, shared, deal):
    response = client.post(comment_url(deal), {"body": SUPPORTIVE})
    assert response.status_code == 302
    assert response.url.startswith(reverse("account_login"))
    assert not Comment.objects.exists()


def test_get_on_the_comment_url_is_refused(client, shared, deal, teammate):
    client.force_login(teammate)
    assert client.get(comment_url(deal)).status_code == 405


@pytest.mark.parametrize("persona", ["former_member", "other_team_member", "outsider"])
def test_people_outside_the_audience_get_404_and_the_same_comment_works_for_a_teammate(
    client, request, shared, deal, teammate, persona
):
    client.force_login(request.getfixturevalue(persona))
    response = client.post(comment_url(deal), {"body": SUPPORTIVE})
    assert response.status_code == 404
    assert not Comment.objects.exists()
    assert "Globex expansion" not in response.text

    client.force_login(teammate)
    assert client.post(comment_url(deal), {"body": SUPPORTIVE}).status_code == 302
    assert Comment.objects.get().author == teammate


def test_a_manager_not_trusted_cannot_comment_on_a_trusted_share_but_a_trusted_colleague_can(
    client, owner, manager, trusted
):
    deal = make_loss(owner, name="Initech pilot")
    share(deal, team=None)
    client.force_login(manager)
    assert client.post(comment_url(deal), {"body": SUPPORTIVE}).status_code == 404
    assert not Comment.objects.exists()
    client.force_login(trusted)
    assert client.post(comment_url(deal), {"body": SUPPORTIVE}).status_code == 302
    assert Comment.objects.get().author == trusted


def test_post_without_csrf_token_is_refused(shared, deal, teammate):
    client = Client(enforce_csrf_checks=True)
    client.force_login(teammate)
    assert client.post(comment_url(deal), {"body": SUPPORTIVE}).status_code == 403
    assert not Comment.objects.exists()


# ---------------------------------------------------------------- posting


def test_a_comment_is_posted_and_the_page_opens_at_it(client, owner, shared, deal, teammate):
    client.force_login(teammate)
    response = client.post(comment_url(deal), {"body": f"  {SUPPORTIVE}  "})
    comment = Comment.objects.get()
    assert (comment.author, comment.shared, comment.body) == (teammate, shared, SUPPORTIVE)
    assert response.status_code == 302
    assert response.url == f"{page_url(deal)}#comment-{comment.code}"
    assert "Posted. Thank you for supporting Olivia Owner." in message_texts(response)
    assert f'id="comment-{comment.code}"' in client.get(page_url(deal)).text


def test_a_comment_notifies_the_owner(client, owner, shared, deal, teammate):
    client.force_login(teammate)
    client.post(comment_url(deal), {"body": SUPPORTIVE})
    assert list(
        Notification.objects.filter(kind=Notification.Kind.COMMENT).values_list(
            "recipient", "actor", "shared"
        )
    ) == [(owner.pk, teammate.pk, shared.pk)]


def test_the_owner_may_reply_without_notifying_themselves(owner_client, owner, shared, deal):
    response = owner_client.post(comment_url(deal), {"body": "Thanks, everyone."})
    assert response.status_code == 302
    assert Comment.objects.get().author == owner
    assert not Notification.objects.filter(kind=Notification.Kind.COMMENT).exists()


@pytest.mark.parametrize("body", ["", "   \n  "])
def test_an_empty_comment_is_refused_next_to_the_field(client, shared, deal, teammate, body):
    client.force_login(teammate)
    response = client.post(comment_url(deal), {"body": body})
    assert response.status_code == 200
    assert response.context["comment_form"].errors["body"] == ["Write a few words first."]
    assert "Write a few words first." in response.text
    assert not Comment.objects.exists()
    assert response.context["card"].title == "Globex expansion"


def test_a_too_long_comment_is_refused_and_the_text_is_kept(client, shared, deal, teammate):
    body = "Keep going. " * 200  # 2,400 characters
    client.force_login(teammate)
    response = client.post(comment_url(deal), {"body": body})
    assert response.status_code == 200
    assert response.context["comment_form"].errors["body"] == ["Keep it under 2000 characters."]
    assert body.strip() in response.text
    assert not Comment.objects.exists()


def test_a_comment_renders_as_escaped_plain_text_with_its_line_breaks(client, shared, deal, teammate):
    team_services.comment_create(
        shared=shared, author=teammate, body='<script>alert("x")</script>\n<b>bold?</b> second line'
    )
    client.force_login(teammate)
    response = client.get(page_url(deal))
    assert "<script>alert" not in response.text
    assert "<b>bold?</b>" not in response.text
    assert (
        "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;<br>&lt;b&gt;bold?&lt;/b&gt; second line"
        in response.text
    )


# ---------------------------------------------------------------- hide and show again


@pytest.mark.parametrize("url", [hide_url, show_url])
def test_anonymous_cannot_hide_or_show(client, comment, url):
    response = client.post(url(comment))
    assert response.status_code == 302
    assert response.url.startswith(reverse("account_login"))
    comment.refresh_from_db()
    assert comment.hidden_at is None


@pytest.mark.parametrize("url", [hide_url, show_url])
def test_hide_and_show_refuse_get(owner_client, comment, url):
    assert owner_client.get(url(comment)).status_code == 405


def test_the_owner_hides_a_comment(owner_client, comment, deal):
    response = owner_client.post(hide_url(comment))
    assert response.status_code == 302
    assert response.url == f"{page_url(deal)}#comment-{comment.code}"
    comment.refresh_from_db()
    assert comment.hidden_at is not None
    assert "Hidden. Only you can see that comment now." in message_texts(response)


def test_the_owner_shows_a_hidden_comment_again(owner_client, comment):
    team_services.comment_set_hidden(comment=comment, hidden=True)
    response = owner_client.post(show_url(comment))
    assert response.status_code == 302
    comment.refresh_from_db()
    assert comment.hidden_at is None


@pytest.mark.parametrize("persona", ["teammate", "manager", "former_member", "other_team_member", "outsider"])
def test_nobody_but_the_owner_can_hide_a_comment_and_the_owner_can(client, request, owner, comment, persona):
    """The teammate is the comment's own author: even they cannot hide it (they may ask the owner)."""
    client.force_login(request.getfixturevalue(persona))
    assert client.post(hide_url(comment)).status_code == 404
    comment.refresh_from_db()
    assert comment.hidden_at is None

    client.force_login(owner)
    assert client.post(hide_url(comment)).status_code == 302
    comment.refresh_from_db()
    assert comment.hidden_at is not None


@pytest.mark.parametrize("persona", ["teammate", "manager", "outsider"])
def test_nobody_but_the_owner_can_show_a_hidden_comment_again(client, request, owner, comment, persona):
    team_services.comment_set_hidden(comment=comment, hidden=True)
    client.force_login(request.getfixturevalue(persona))
    assert client.post(show_url(comment)).status_code == 404
    comment.refresh_from_db()
    assert comment.hidden_at is not None

    client.force_login(owner)
    assert client.post(show_url(comment)).status_code == 302
    comment.refresh_from_db()
    assert comment.hidden_at is None


def test_a_hidden_comment_is_not_shown_to_the_audience_nor_counted(
    client, shared, deal, comment, teammate, manager
):
    team_services.comment_create(shared=shared, author=manager, body="Still visible.")
    team_services.comment_set_hidden(comment=comment, hidden=True)
    client.force_login(manager)
    response = client.get(page_url(deal))
    assert [c.body for c in response.context["comments"]] == ["Still visible."]
    assert "Rough one. Proud of you for sharing." not in response.text
    assert response.context["card"].comment_count == 1
    assert show_url(comment) not in response.text
    assert hide_url(comment) not in response.text


def test_the_owner_sees_hidden_comments_marked_with_show_again(owner_client, shared, deal, comment):
    team_services.comment_set_hidden(comment=comment, hidden=True)
    response = owner_client.get(page_url(deal))
    assert "Rough one. Proud of you for sharing." in response.text
    assert "Hidden: only you can see it" in response.text
    assert show_url(comment) in response.text
    assert hide_url(comment) not in response.text
    assert response.context["card"].comment_count == 0


def test_the_owner_gets_a_hide_button_on_each_visible_comment(owner_client, shared, deal, comment, manager):
    other = team_services.comment_create(shared=shared, author=manager, body="Another one.")
    response = owner_client.get(page_url(deal))
    assert hide_url(comment) in response.text
    assert hide_url(other) in response.text


def test_the_audience_gets_no_hide_buttons(client, shared, deal, comment, teammate):
    client.force_login(teammate)
    response = client.get(page_url(deal))
    assert hide_url(comment) not in response.text
    assert "Hide<" not in response.text
