"""Two people: a manager invites a rep, the rep accepts, shares a loss, and the manager supports it."""

import re

from playwright.sync_api import expect

from teams import services as team_services
from tests.browser.conftest import log_in
from tests.conftest import make_loss


def test_invite_share_encourage_nudge_and_hide(new_page, live_server, settings, owner, manager, mailoutbox):
    settings.SITE_URL = live_server.url
    team = team_services.team_create(creator=manager, name="EMEA Mid-Market")
    make_loss(owner, name="Initech renewal", days_ago=2)

    maya, olivia = new_page(), new_page()

    # The manager invites the rep from the team page.
    log_in(maya, manager)
    maya.get_by_role("link", name="Teams").click()
    maya.get_by_role("link", name=team.name).click()
    maya.get_by_label("Their email address").fill(owner.email)
    maya.get_by_role("button", name="Send the invitation").click()
    expect(maya.get_by_text(f"Invitation sent to {owner.email}")).to_be_visible()

    # The rep signs in and finds the invitation waiting on the home page; the link in the email
    # offers the same choice. Nothing joins until she says yes.
    link = re.search(r"https?://\S+/invitations/\S+/", mailoutbox[-1].body).group(0)
    log_in(olivia, owner)
    expect(olivia.get_by_role("heading", name="An invitation is waiting for you")).to_be_visible()
    expect(olivia.get_by_text(f"{manager.name} invited you to join {team.name}.")).to_be_visible()
    olivia.goto(link)
    expect(olivia.get_by_role("button", name=f"Decline the invitation to {team.name}")).to_be_visible()
    olivia.goto("/")
    olivia.get_by_role("button", name=f"Join {team.name}").click()
    expect(olivia.get_by_text(f"Welcome to {team.name}").first).to_be_visible()
    expect(olivia.get_by_role("heading", name=team.name)).to_be_visible()

    # The rep shares the loss with the team from the reflection's Share section.
    olivia.get_by_role("link", name="My losses").first.click()
    olivia.get_by_role("link", name="Initech renewal").click()
    olivia.get_by_role("link", name=re.compile("Reflect on it|Continue your reflection")).click()
    olivia.get_by_label(f"Everyone in {team.name}").check()
    olivia.get_by_label("A message to them").fill("Lost this one on price. Ideas welcome.")
    olivia.get_by_label("Show the account name").check()
    olivia.get_by_role("button", name="Share it").click()
    expect(olivia.get_by_text("Lost this one on price. Ideas welcome.")).to_be_visible()

    # The manager finds it in the feed, encourages, and tries a dismissive comment.
    maya.get_by_role("link", name="Feed").click()
    maya.get_by_role("link", name="Initech renewal").first.click()
    been_there = maya.get_by_role("button", name=re.compile("Been there"))
    been_there.click()
    expect(maya.get_by_role("button", name=re.compile("Been there"))).to_have_attribute(
        "aria-pressed", "true"
    )
    maya.get_by_label("Write something supportive").fill("At least you tried, their loss anyway.")
    maya.get_by_role("button", name="Post comment").click()
    expect(maya.get_by_text("Before you post: could it sound dismissive?")).to_be_visible()
    expect(maya.get_by_label("Write something supportive")).to_have_value(
        "At least you tried, their loss anyway."
    )
    maya.get_by_label("Write something supportive").fill("That was a tough one. Proud of you for sharing it.")
    maya.get_by_role("button", name="Post my new words").click()
    expect(maya.get_by_text("That was a tough one. Proud of you for sharing it.")).to_be_visible()
    expect(maya.get_by_text("At least you tried")).to_have_count(0)

    # The rep sees the notifications, opens the loss and hides the comment.
    olivia.goto("/")
    olivia.get_by_role("link", name=re.compile("Notifications")).click()
    olivia.get_by_role("link", name=re.compile(f"{manager.name} commented on your loss")).click()
    olivia.get_by_role("button", name=f"Hide the comment by {manager.name}").click()
    expect(olivia.get_by_role("button", name=f"Show again the comment by {manager.name}")).to_be_visible()

    # Hidden from the audience at once.
    maya.reload()
    expect(maya.get_by_text("That was a tough one. Proud of you for sharing it.")).to_have_count(0)
