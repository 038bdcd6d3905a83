"""A newcomer signs up, verifies their email from the link sent, logs in and out."""

import re

from playwright.sync_api import expect


def test_sign_up_verify_log_in_and_out(page, live_server, mailoutbox):
    page.goto("/")
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    page.get_by_role("link", name="Sign up").first.click()

    page.get_by_label("Email").fill("newcomer@example.com")
    page.get_by_label("Display name").fill("Nia Newcomer")
    page.get_by_label("Password", exact=True).fill("correct-horse-battery")
    page.get_by_label("Password (again)").fill("correct-horse-battery")
    page.get_by_role("button", name="Sign Up").click()
    expect(page.get_by_role("heading", name="Verify Your Email Address")).to_be_visible()

    # The verification email carries the link; open it and confirm.
    assert len(mailoutbox) == 1
    assert mailoutbox[0].to == ["newcomer@example.com"]
    link = re.search(r"https?://\S+/accounts/confirm-email/\S+/", mailoutbox[0].body).group(0)
    page.goto(link)
    page.get_by_role("button", name="Confirm").click()

    page.get_by_label("Email").fill("newcomer@example.com")
    page.get_by_label("Password").fill("correct-horse-battery")
    page.get_by_role("button", name="Sign In").click()
    expect(page.get_by_text("Nia Newcomer").first).to_be_visible()

    page.get_by_text("Nia Newcomer").first.click()
    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_role("link", name="Sign in").first).to_be_visible()


def test_wrong_password_shows_an_error_and_keeps_the_email(page, live_server, owner):
    page.goto("/accounts/login/")
    page.get_by_label("Email").fill(owner.email)
    page.get_by_label("Password").fill("not-the-password")
    page.get_by_role("button", name="Sign In").click()
    expect(
        page.get_by_text("The email address and/or password you specified are not correct.")
    ).to_be_visible()
    expect(page.get_by_label("Email")).to_have_value(owner.email)
