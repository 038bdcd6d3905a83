"""Playwright driving the machine's Chromium against pytest-django's live_server."""

import importlib
import os
from pathlib import Path

import pytest
from django.apps import apps
from playwright.sync_api import expect

from tests.conftest import PASSWORD

# Playwright's sync API runs an event loop; Django refuses ORM calls inside one unless told.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def pytest_collection_modifyitems(items):
    here = Path(__file__).parent
    for item in items:
        if here in Path(item.fspath).parents:
            item.add_marker(pytest.mark.browser)


@pytest.fixture(scope="session")
def browser():
    if not Path(CHROMIUM).exists():
        message = f"No Chromium at {CHROMIUM}: install it (apt-get install chromium) or set CHROMIUM_PATH."
        if os.environ.get("CI") == "true":
            pytest.fail(f"{message} CI runs the browser tests, so this fails the run.")
        pytest.skip(f"Browser tests skipped. {message}")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture(autouse=True)
def loss_reasons(transactional_db):
    """The live server needs committed data, so these tests empty the tables after each run:
    put back the loss reasons that every install gets from its data migration."""
    importlib.import_module("recovery.migrations.0002_seed_loss_reasons").seed(apps, None)


@pytest.fixture
def new_page(browser, live_server):
    """Makes fresh browser tabs on the live server, each in a context of its own (one person
    each); fails the test on any console error in any of them (CSP included)."""
    contexts, errors = [], []

    def make():
        context = browser.new_context(base_url=live_server.url)
        context.set_default_timeout(10_000)
        contexts.append(context)
        tab = context.new_page()
        tab.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
        tab.on("pageerror", lambda error: errors.append(str(error)))
        return tab

    yield make
    for context in contexts:
        context.close()
    assert errors == [], f"The browser reported errors: {errors}"


@pytest.fixture
def page(new_page):
    """A fresh browser tab on the live server; fails the test on any console error (CSP included)."""
    return new_page()


def log_in(page, user):
    page.goto("/accounts/login/")
    page.get_by_label("Email").fill(user.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign In").click()
    expect(page.get_by_role("heading", name=f"Welcome back, {user.name}")).to_be_visible()
