"""The access matrix (issue 8): every URL pattern, every kind of visitor, and the answer each must get.

The tables below are the spec. A URL pattern with no row fails the test, so a new view can't be
forgotten; a row that gives a page to someone outside DESIGN.md's privacy rules fails too, so the
tables can't be bent to let a leak through. Every answer is also searched for the secrets (canaries,
tests/access_matrix_data.py) its visitor may not see, whatever its status.

The columns are the visitors: anonymous; the owner of the losses; a teammate (in the audience of
what the owner shares with the team); a trusted colleague (in the audience of what the owner shares
with trusted colleagues); a teammate the owner took off their trusted list; a former member of the
team; a member of another team; the team's manager (not in the trusted-only audience); and a
staff superuser.
"""

import hashlib
import hmac
import json
import re
from collections.abc import Callable
from dataclasses import dataclass

import pytest
from django.apps import apps
from django.conf import settings
from django.contrib import admin
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db.models import Model
from django.test import Client
from django.urls import resolve, reverse

from recovery.models import CheckIn, CsvImport, LostDeal, Reflection, Webhook
from teams.models import (
    Comment,
    Encouragement,
    Invitation,
    Membership,
    Notification,
    Role,
    SharedLoss,
    Team,
    TrustedColleague,
    User,
)
from tests.access_matrix_data import (
    AUDIENCE_WHEN_SHARED,
    HUBSPOT_EXPORT,
    INVITEE,
    OWNER,
    STAFF,
    TEAM_AUDIENCE,
    TEAM_MANAGERS,
    TEAM_MEMBERS,
    TOTP_SECRET,
    TRUSTED_AUDIENCE,
    VISITORS,
    WEBHOOK_SECRET,
    Pattern,
    World,
    build_world,
    changed_tables,
    hide_the_comment,
    leaked_canaries,
    move_on_private_loss,
    snapshot,
    today,
    url_patterns,
)
from tests.conftest import PASSWORD, loss_form, run_tasks
from tests.tasks import run_queued_tasks

# ---------------------------------------------------------------- the answers

L = "login"  # 302 to the site's login page, with ?next= to come back
AL = "admin login"  # 302 to the admin's login page
# A 302 in a table is a redirect anywhere but a login page.
# An allauth account page: shown, sent on elsewhere, or 404 for what the visitor hasn't got
# (two-factor recovery codes, say).
ACCOUNT_PAGE = frozenset({200, 302, 404})

# A row's `code` names one of the world's objects (tests/access_matrix_data.py):
#   private       the owner's loss, shared with nobody
#   team_loss     the owner's loss shared with the team (name and amount hidden), with a comment
#   trusted_loss  the owner's loss shared with trusted colleagues only: the manager isn't in its audience
#   check_in      an answered check-in on the private loss; comment: the teammate's comment on team_loss
#   team          the owner's team; import, webhook: the owner's CSV import and webhook address
#   invitation    the open invitation to the team, sent to the member of another team
# The other URL arguments always name the same objects: the teammate's membership of the team, the
# open invitation to it (sent to the member of another team) and that invitation's emailed token,
# and the link that stops the owner's check-in reminders.
OTHER_ARGUMENTS = {
    "membership": "teammate_membership",
    "invitation": "invitation",
    "token": "invitation_token",
    "reminders_token": "reminders_token",
}

# fmt: off
MATRIX = [
    # pattern                       code=            anon owner mate trust untr former other mgr staff
    ("home",                        None,            200, 200, 200, 200, 200, 200, 200, 200, 200),
    ("healthz",                     None,            200, 200, 200, 200, 200, 200, 200, 200, 200),
    ("healthz_tasks",               None,            200, 200, 200, 200, 200, 200, 200, 200, 200),
    # The rep's own losses: a loss is its owner's alone, shared or not (privacy rule 1).
    ("recovery:loss_list",          None,            L,   200, 200, 200, 200, 200, 200, 200, 200),
    ("recovery:loss_create",        None,            L,   200, 200, 200, 200, 200, 200, 200, 200),
    ("recovery:loss_detail",        "private",       L,   200, 404, 404, 404, 404, 404, 404, 404),
    ("recovery:loss_detail",        "team_loss",     L,   200, 404, 404, 404, 404, 404, 404, 404),
    ("recovery:loss_edit",          "private",       L,   200, 404, 404, 404, 404, 404, 404, 404),
    ("recovery:loss_edit",          "team_loss",     L,   200, 404, 404, 404, 404, 404, 404, 404),
    ("recovery:loss_delete",        "private",       L,   200, 404, 404, 404, 404, 404, 404, 404),
    ("recovery:loss_delete",        "team_loss",     L,   200, 404, 404, 404, 404, 404, 404, 404),
    ("recovery:loss_move_on",       "private",       L,   405, 405, 405, 405, 405, 405, 405, 405),
    ("recovery:loss_undo_move_on",  "private",       L,   405, 405, 405, 405, 405, 405, 405, 405),
    ("recovery:reflection_edit",    "private",       L,   200, 404, 404, 404, 404, 404, 404, 404),
    ("recovery:reflection_edit",    "team_loss",     L,   200, 404, 404, 404, 404, 404, 404, 404),
    ("recovery:reflection_finish",  "private",       L,   405, 405, 405, 405, 405, 405, 405, 405),
    ("recovery:reflection_reopen",  "team_loss",     L,   405, 405, 405, 405, 405, 405, 405, 405),
    ("recovery:check_in_create",    "private",       L,   405, 405, 405, 405, 405, 405, 405, 405),
    ("recovery:check_in_answer",    "check_in",      L,   200, 404, 404, 404, 404, 404, 404, 404),
    ("recovery:check_in_dismiss",   "check_in",      L,   405, 405, 405, 405, 405, 405, 405, 405),
    ("recovery:my_recovery",        None,            L,   200, 200, 200, 200, 200, 200, 200, 200),
    ("recovery:my_data",            None,            L,   200, 200, 200, 200, 200, 200, 200, 200),
    ("recovery:export_csv",         None,            L,   200, 200, 200, 200, 200, 200, 200, 200),
    ("recovery:export_json",        None,            L,   200, 200, 200, 200, 200, 200, 200, 200),
    # Issue 6: the CSV import and the CRM webhook.
    ("recovery:import_start",       None,            L,   200, 200, 200, 200, 200, 200, 200, 200),
    ("recovery:import_preview",     "import",        L,   200, 404, 404, 404, 404, 404, 404, 404),
    ("recovery:import_map",         "import",        L,   200, 404, 404, 404, 404, 404, 404, 404),
    ("recovery:import_progress",    "import",        L,   200, 404, 404, 404, 404, 404, 404, 404),
    ("recovery:import_confirm",     "import",        L,   405, 405, 405, 405, 405, 405, 405, 405),
    ("recovery:webhook_list",       None,            L,   200, 200, 200, 200, 200, 200, 200, 200),
    ("recovery:webhook_create",     None,            L,   405, 405, 405, 405, 405, 405, 405, 405),
    ("recovery:webhook_revoke",     "webhook",       L,   405, 405, 405, 405, 405, 405, 405, 405),
    # The address and its signature authenticate a CRM: no login, POST only.
    ("recovery:webhook_receive",    "webhook",       405, 405, 405, 405, 405, 405, 405, 405, 405),
    # Teams: members see their team; only its managers manage it or see its dashboard.
    ("teams:team_list",             None,            L,   200, 200, 200, 200, 200, 200, 200, 200),
    ("teams:team_create",           None,            L,   405, 405, 405, 405, 405, 405, 405, 405),
    ("teams:team_detail",           "team",          L,   200, 200, 200, 200, 404, 404, 200, 404),
    ("teams:invitation_create",     "team",          L,   405, 405, 405, 405, 405, 405, 405, 405),
    ("teams:invitation_revoke",     "team",          L,   405, 405, 405, 405, 405, 405, 405, 405),
    ("teams:team_leave",            "team",          L,   405, 405, 405, 405, 405, 405, 405, 405),
    ("teams:member_remove",         "team",          L,   405, 405, 405, 405, 405, 405, 405, 405),
    ("teams:member_set_role",       "team",          L,   405, 405, 405, 405, 405, 405, 405, 405),
    ("teams:dashboard",             "team",          L,   404, 404, 404, 404, 404, 404, 200, 404),
    ("teams:dashboard_csv",         "team",          L,   404, 404, 404, 404, 404, 404, 200, 404),
    # Anyone with the link may read an invitation; members are told they're in already; a signed-in
    # person it wasn't sent to gets 403 (it was sent to the member of another team).
    ("teams:invitation_accept",     None,            200, 200, 200, 200, 200, 403, 200, 200, 403),
    # Answering an invitation from the home page: its addressee's alone (POST only).
    ("teams:invitation_join",       "invitation",    L,   405, 405, 405, 405, 405, 405, 405, 405),
    ("teams:invitation_decline",    "invitation",    L,   405, 405, 405, 405, 405, 405, 405, 405),
    ("teams:profile",               None,            L,   200, 200, 200, 200, 200, 200, 200, 200),
    ("teams:trusted_colleagues",    None,            L,   200, 200, 200, 200, 200, 200, 200, 200),
    ("teams:account_delete",        None,            L,   200, 200, 200, 200, 200, 200, 200, 200),
    # The link in the owner's check-in reminders: whoever has it is asked (GET changes nothing).
    ("teams:reminders_stop",        None,            200, 200, 200, 200, 200, 200, 200, 200, 200),
    ("teams:reminders_stopped",     None,            200, 200, 200, 200, 200, 200, 200, 200, 200),
    # Sharing is the owner's; a shared loss is seen by its audience only (privacy rule 2).
    ("teams:share_create",          "private",       L,   405, 405, 405, 405, 405, 405, 405, 405),
    ("teams:share_delete",          "private",       L,   302, 404, 404, 404, 404, 404, 404, 404),
    ("teams:share_delete",          "team_loss",     L,   200, 404, 404, 404, 404, 404, 404, 404),
    ("teams:share_delete",          "trusted_loss",  L,   200, 404, 404, 404, 404, 404, 404, 404),
    ("teams:feed",                  None,            L,   200, 200, 200, 200, 200, 200, 200, 200),
    ("teams:shared_loss",           "private",       L,   404, 404, 404, 404, 404, 404, 404, 404),
    ("teams:shared_loss",           "team_loss",     L,   200, 200, 200, 200, 404, 404, 200, 404),
    ("teams:shared_loss",           "trusted_loss",  L,   200, 404, 200, 404, 404, 404, 404, 404),
    ("teams:encourage",             "team_loss",     L,   405, 405, 405, 405, 405, 405, 405, 405),
    ("teams:comment_create",        "team_loss",     L,   405, 405, 405, 405, 405, 405, 405, 405),
    ("teams:comment_hide",          "comment",       L,   405, 405, 405, 405, 405, 405, 405, 405),
    ("teams:comment_show",          "comment",       L,   405, 405, 405, 405, 405, 405, 405, 405),
    ("teams:notifications",         None,            L,   200, 200, 200, 200, 200, 200, 200, 200),
    ("teams:notifications_read",    None,            L,   405, 405, 405, 405, 405, 405, 405, 405),
    # The admin signs in through allauth's login page (two-factor, rate limits): anonymous visitors
    # are sent there; signed-in people who aren't staff are refused; staff go on to the admin.
    ("admin:login",                 None,            L,   403, 403, 403, 403, 403, 403, 403, 302),
]

# The admin: staff only, and even staff must not find private data there (privacy rule 1: "not a
# staff page"). Everyone else is sent to the admin's login page (its row is in MATRIX above), but
# for the logout, which sends them to the index (and so to the login page).
ADMIN = [
    # pattern                                         arguments                           others staff
    ("admin:index",                                   "",                                 AL,    200),
    ("admin:logout",                                  "",                                 302,   405),
    ("admin:password_change",                         "",                                 AL,    200),
    ("admin:password_change_done",                    "",                                 AL,    200),
    ("admin:autocomplete",                            "",                                 AL,    403),
    ("admin:jsi18n",                                  "",                                 AL,    200),
    # A loss has no page of its own but its owner's: no "view on site" for staff.
    ("admin:view_on_site",                            "content_type_id=loss_content_type,"
                                                      "object_id=private_pk",             AL,    404),
    ("admin:app_list",                                "app_label=teams_app",              AL,    200),
    ("admin:auth_group_changelist",                   "",                                 AL,    200),
    ("admin:auth_group_add",                          "",                                 AL,    200),
    ("admin:auth_group_history",                      "object_id=group_pk",               AL,    200),
    ("admin:auth_group_delete",                       "object_id=group_pk",               AL,    200),
    ("admin:auth_group_change",                       "object_id=group_pk",               AL,    200),
    ("admin/auth/group/<path:object_id>/",            "object_id=group_pk",               AL,    302),
    ("admin:account_emailaddress_changelist",         "",                                 AL,    200),
    ("admin:account_emailaddress_add",                "",                                 AL,    200),
    ("admin:account_emailaddress_history",            "object_id=owner_email_pk",         AL,    200),
    ("admin:account_emailaddress_delete",             "object_id=owner_email_pk",         AL,    200),
    ("admin:account_emailaddress_change",             "object_id=owner_email_pk",         AL,    200),
    ("admin/account/emailaddress/<path:object_id>/",  "object_id=owner_email_pk",         AL,    302),
    ("admin:mfa_authenticator_changelist",            "",                                 AL,    200),
    ("admin:mfa_authenticator_add",                   "",                                 AL,    403),
    ("admin:mfa_authenticator_history",               "object_id=authenticator_pk",       AL,    200),
    ("admin:mfa_authenticator_delete",                "object_id=authenticator_pk",       AL,    200),
    ("admin:mfa_authenticator_change",                "object_id=authenticator_pk",       AL,    200),
    ("admin/mfa/authenticator/<path:object_id>/",     "object_id=authenticator_pk",       AL,    302),
    ("admin:auth_user_password_change",               "id=owner_pk",                      AL,    200),
    ("admin:teams_user_changelist",                   "",                                 AL,    200),
    ("admin:teams_user_add",                          "",                                 AL,    200),
    ("admin:teams_user_history",                      "object_id=owner_pk",               AL,    200),
    ("admin:teams_user_delete",                       "object_id=owner_pk",               AL,    200),
    ("admin:teams_user_change",                       "object_id=owner_pk",               AL,    200),
    ("admin/teams/user/<path:object_id>/",            "object_id=owner_pk",               AL,    302),
    # django-tasks-db's task rows: staff only. They carry job arguments (ids), never content.
    ("admin:django_tasks_database_dbtaskresult_changelist", "",                           AL,    200),
    ("admin:django_tasks_database_dbtaskresult_add",  "",                                 AL,    403),
    ("admin:django_tasks_database_dbtaskresult_history", "object_id=task_result_pk",      AL,    200),
    ("admin:django_tasks_database_dbtaskresult_delete", "object_id=task_result_pk",       AL,    403),
    ("admin:django_tasks_database_dbtaskresult_change", "object_id=task_result_pk",       AL,    200),
    ("admin/django_tasks_database/dbtaskresult/<path:object_id>/", "object_id=task_result_pk", AL, 302),
    ("admin/(?P<url>.*)$",                            "url=no_such_page",                 AL,    404),
]
# fmt: on

# allauth's pages (sign in and up, email, password, two-factor) are public or the visitor's own
# account: grouped, each visitor gets an ACCOUNT_PAGE. Its emailed links get made-up keys.
ALLAUTH = re.compile(r"^(account_|mfa_)")
ALLAUTH_ARGUMENTS = {"key": "made_up_key", "uidb36": "user_id_b36"}

# TODO(issue 6): while the CSV import and the webhook are written, their views may still be
# placeholders that raise NotImplementedError. Their rows run in tests of their own, marked
# xfail(raises=NotImplementedError) so that any other failure still fails. Empty this set (and
# let the main test take their rows) once both are merged.


# ---------------------------------------------------------------- the privacy rules, as an oracle

SHARED_LOSS_PAGES = {"teams:shared_loss", "teams:encourage", "teams:comment_create"}
MANAGERS_ONLY = {
    "teams:dashboard",
    "teams:dashboard_csv",
    "teams:invitation_create",
    "teams:invitation_revoke",
    "teams:member_remove",
    "teams:member_set_role",
}
AUDIENCES = {"private": OWNER, "team_loss": TEAM_AUDIENCE, "trusted_loss": TRUSTED_AUDIENCE}
OWNERS_THINGS = {
    "private",
    "team_loss",
    "trusted_loss",
    "check_in",
    "pending_check_in",
    "comment",
    "import",
    "webhook",
}


def may_be_answered(key: str, labels: set[str]) -> frozenset | None:
    """Who may get a page (2xx) or make a change at this URL, by DESIGN.md's privacy rules.

    None: anyone (a public page, or the visitor's own data, which the canaries watch over).
    """
    if key in {"admin:login", "admin:logout"}:
        return None
    if key.startswith(("admin:", "admin/")):
        return STAFF
    if key in SHARED_LOSS_PAGES:
        # Rule 2: a shared loss's audience; a loss that isn't shared has no audience but its owner.
        return next(AUDIENCES[label] for label in labels if label in AUDIENCES)
    if "invitation" in labels:
        # Nobody joins a team, or says no for someone else, but the person it was sent to.
        return INVITEE
    if labels & OWNERS_THINGS:
        # Rule 1: a loss itself, its reflection and check-ins, its comments to hide; imports, webhooks.
        return OWNER
    if "team" in labels:
        return TEAM_MANAGERS if key in MANAGERS_ONLY else TEAM_MEMBERS
    return None


# ---------------------------------------------------------------- reading the tables


@dataclass(frozen=True)
class Row:
    key: str  # the pattern's name, or its route if it has none
    arguments: tuple[tuple[str, str], ...]  # (URL parameter, label of a value in world.args)
    expected: tuple  # one answer per visitor, in VISITORS' order

    @property
    def labels(self) -> set[str]:
        return {label for _parameter, label in self.arguments}

    @property
    def id(self) -> str:
        return self.key + "".join(f"[{label}]" for label in sorted(self.labels))

    def url(self, world: World, pattern: Pattern) -> str:
        kwargs = {parameter: world.args[label] for parameter, label in self.arguments}
        for parameter in route_parameters(pattern.route):
            if parameter not in kwargs:
                kwargs[parameter] = world.args[OTHER_ARGUMENTS[parameter]]
        if pattern.key != pattern.route:
            url = reverse(pattern.key, kwargs=kwargs)
        else:  # An unnamed pattern: fill in its route.
            url = "/" + re.sub(r"<(?:\w+:)?(\w+)>", lambda m: str(kwargs[m.group(1)]), pattern.route)
        # The URL must reach the pattern under test (not, say, the admin's catch-all).
        assert resolve(url).route == pattern.route, f"{url} doesn't reach {pattern.route}"
        return url


def route_parameters(route: str) -> list[str]:
    """The names of a route's parameters, path() style (<uuid:code>) or regex style ((?P<key>...))."""
    return [a or b for a, b in re.findall(r"<(?:\w+:)?(\w+)>|\(\?P<(\w+)>", route)]


def _rows() -> list[Row]:
    rows = [Row(key, (("code", code),) if code else (), tuple(expected)) for key, code, *expected in MATRIX]
    for key, arguments, others, staff in ADMIN:
        pairs = tuple(tuple(pair.split("=")) for pair in arguments.split(",") if pair)
        rows.append(Row(key, pairs, (others,) * (len(VISITORS) - 1) + (staff,)))
    return rows


ROWS = _rows()


def rows_for(pattern: Pattern) -> list[Row]:
    """The rows for one URL pattern: its own, or allauth's group row; [] if it has none."""
    rows = [row for row in ROWS if row.key == pattern.key]
    if rows or not ALLAUTH.match(pattern.key):
        return rows
    parameters = route_parameters(pattern.route)
    if not set(parameters) <= set(ALLAUTH_ARGUMENTS):
        return []  # A new kind of argument: someone has to say what to put in it.
    arguments = tuple((p, ALLAUTH_ARGUMENTS[p]) for p in parameters)
    return [Row(pattern.key, arguments, (ACCOUNT_PAGE,) * len(VISITORS))]


def pattern_named(key: str) -> Pattern:
    return next(pattern for pattern in url_patterns() if pattern.key == key)


def no_row(pattern: Pattern) -> str:
    return f"new URL pattern {pattern.key!r} ({pattern.route}) has no row in the access matrix"


# ---------------------------------------------------------------- checking answers


def _is_login_redirect(response, login_url: str) -> bool:
    return response.status_code == 302 and response.url.startswith(login_url + "?next=")


def _described(response) -> str:
    if response.status_code in (301, 302):
        return f"{response.status_code} → {response.url}"
    return str(response.status_code)


def answer_problem(response, expected) -> str | None:
    """Why the response is not the expected answer; None if it is."""
    login = _is_login_redirect(response, reverse(settings.LOGIN_URL))
    admin_login = _is_login_redirect(response, reverse("admin:login"))
    if expected == L:
        ok = login
    elif expected == AL:
        ok = admin_login
    elif isinstance(expected, frozenset):
        ok = response.status_code in expected
    else:
        ok = response.status_code == expected and not (login or admin_login)
    return None if ok else f"expected {expected}, got {_described(response)}"


def _body(response) -> str:
    content = b"".join(response.streaming_content) if response.streaming else response.content
    return content.decode(errors="replace")


def check_row(world: World, pattern: Pattern, row: Row) -> list[str]:
    """Every visitor GETs the row's URL: the answer, the privacy rules and the secrets are checked."""
    problems = []
    url = row.url(world, pattern)
    allowed = may_be_answered(row.key, row.labels)
    for visitor, expected in zip(VISITORS, row.expected, strict=True):
        response = world.client(visitor).get(url)
        where = f"{row.id} {url} as {visitor}"
        if problem := answer_problem(response, expected):
            problems.append(f"{where}: {problem}")
        if allowed is not None and 200 <= response.status_code < 300 and visitor not in allowed:
            problems.append(f"{where}: privacy rules broken, {response.status_code} for someone outside them")
        if leaks := leaked_canaries(_body(response), visitor):
            problems.append(f"{where}: leaks {leaks}")
    return problems


def _report(problems: list[str]) -> str:
    return f"{len(problems)} problem(s):\n" + "\n".join(problems)


@pytest.fixture
def world(owner, manager, team, teammate, trusted, other_team_member):
    built = build_world(owner, manager, team, teammate, trusted, other_team_member)
    run_tasks()  # the emails it queued, sent as the worker would, to have them in the outbox
    return built


# ---------------------------------------------------------------- the tables themselves


def test_every_url_pattern_has_a_row_in_the_access_matrix():
    missing = [no_row(pattern) for pattern in url_patterns() if not rows_for(pattern)]
    assert not missing, "\n".join(missing)


def test_every_row_of_the_access_matrix_names_a_url_pattern_that_exists():
    patterns = url_patterns()
    keys = {pattern.key for pattern in patterns}
    assert len(keys) == len(patterns), "two URL patterns share a name: the rows can't tell them apart"
    stale = sorted({row.key for row in ROWS} - keys)
    assert not stale, f"rows for URL patterns that no longer exist: {stale}"


def test_the_matrix_gives_pages_only_to_the_people_the_privacy_rules_allow():
    wrong = []
    for row in ROWS:
        allowed = may_be_answered(row.key, row.labels)
        if allowed is None:
            continue
        for visitor, expected in zip(VISITORS, row.expected, strict=True):
            page = isinstance(expected, int) and 200 <= expected < 300
            if page and visitor not in allowed:
                wrong.append(f"{row.id}: {expected} for {visitor}")
            if visitor == "anonymous" and expected not in (L, AL, 302, 404, 405):
                wrong.append(f"{row.id}: {expected} for anonymous")
    assert not wrong, "\n".join(wrong)


# ---------------------------------------------------------------- GET: the matrix


def test_every_url_pattern_answers_every_visitor_as_the_matrix_says(world):
    problems = []
    for pattern in url_patterns():
        rows = rows_for(pattern)
        if not rows:
            problems.append(no_row(pattern))
        for row in rows:
            problems += check_row(world, pattern, row)
    assert not problems, _report(problems)


def test_emails_sent_to_each_visitor_hold_no_secret_of_theirs(world):
    # Django's own outbox, not the mailoutbox fixture, which starts the test empty.
    visitor_by_email = {user.email: name for name, user in world.users.items() if user is not None}
    assert mail.outbox, "sharing, commenting and inviting in build_world send emails"
    problems = []
    for message in mail.outbox:
        text = message.subject + message.body + "".join(str(body) for body, _type in message.alternatives)
        for address in message.to:
            visitor = visitor_by_email.get(address, "anonymous")  # someone without an account yet
            if leaks := leaked_canaries(text, AUDIENCE_WHEN_SHARED.get(visitor, visitor)):
                problems.append(f"email {message.subject!r} to {address} leaks {leaks}")
    assert not problems, _report(problems)


# ---------------------------------------------------------------- the admin

# Everything of the recovery and teams apps but the people themselves.
PRIVATE_MODELS = [
    model
    for app in ("recovery", "teams")
    for model in apps.get_app_config(app).get_models()
    if model is not User
]


def test_the_admin_registers_no_recovery_or_teams_model_but_the_user():
    assert LostDeal in PRIVATE_MODELS and SharedLoss in PRIVATE_MODELS  # the list is what it says
    assert [model for model in PRIVATE_MODELS if admin.site.is_registered(model)] == []
    assert admin.site.is_registered(User)


def test_the_admin_index_lists_no_recovery_or_teams_model_to_staff(world):
    response = world.client("staff").get(reverse("admin:index"))
    assert response.status_code == 200
    listed = {model["object_name"] for app in response.context["app_list"] for model in app["models"]}
    assert "User" in listed
    assert not listed & {model._meta.object_name for model in PRIVATE_MODELS}
    for model in (LostDeal, Reflection, CheckIn, SharedLoss, Comment):
        assert f"/admin/{model._meta.app_label}/{model._meta.model_name}/" not in response.text
        assert str(model._meta.verbose_name_plural).capitalize() not in response.text


def test_the_admins_delete_page_for_a_user_names_none_of_their_private_things(world):
    """Django's confirmation lists all a deletion takes with it, by name: losses, check-ins, trust..."""
    response = world.client("staff").get(reverse("admin:teams_user_delete", args=[world.users["owner"].pk]))
    assert response.status_code == 200
    assert leaked_canaries(response.text, "staff") == []
    assert "trusts" not in response.text  # "Olivia Owner trusts Tara Trusted": her own list


def test_the_admins_delete_action_names_none_of_the_users_private_things(world):
    """The changelist's "Delete selected" confirmation lists the same things as the delete page."""
    choice = {"action": "delete_selected", "_selected_action": [world.users["owner"].pk]}
    response = world.client("staff").post(reverse("admin:teams_user_changelist"), choice)
    assert response.status_code == 200
    assert "Are you sure" in response.text
    assert leaked_canaries(response.text, "staff") == []


def test_deleting_a_user_in_the_admin_leaves_their_team_a_manager(world):
    """As deleting one's own account does (teams.services.user_delete): a team always has a manager."""
    manager = world.users["manager"]
    url = reverse("admin:teams_user_delete", args=[manager.pk])
    response = world.client("staff").post(url, {"post": "yes"})
    assert response.status_code == 302
    assert not User.objects.filter(pk=manager.pk).exists()
    assert Membership.objects.filter(team__code=world.args["team"], role=Role.MANAGER).exists()


def test_the_admin_shows_no_two_factor_secret(world):
    """With someone's TOTP secret, staff could pass their second factor."""
    url = reverse("admin:mfa_authenticator_change", args=[world.args["authenticator_pk"]])
    response = world.client("staff").get(url)
    assert response.status_code == 200
    assert TOTP_SECRET not in response.text


# ---------------------------------------------------------------- POST: refused, and nothing changes


def _const(data: dict) -> Callable[[World], dict]:
    return lambda world: data


def _loss_form(world: World) -> dict:
    return loss_form(
        name="Renamed by someone", amount="1", currency="EUR", competitor="", notes="Overwritten"
    )


def _upload(world: World) -> dict:
    # Made for each POST: a file can be read once.
    return {"file": SimpleUploadedFile("deals.csv", HUBSPOT_EXPORT, "text/csv"), "default_currency": "EUR"}


def _share_with_team(world: World) -> dict:
    return {"audience": str(world.args["team"]), "message": "Shared by someone", "show_name": "on"}


LOSS_FORM = _loss_form
UPLOAD = _upload
SHARE = _share_with_team
NOTHING = _const({})
REFLECTION = _const({"feelings": "Written by someone", "talk_to": "Anyone"})
FINISH = _const({"emotions": ["disappointed"], "mood": "2", "lesson": "Someone's lesson"})
MOOD = _const({"mood": "4", "note": "Someone's note"})
TEAM = _const({"name": "New team"})
INVITE = _const({"email": "newcomer@example.com"})
ROLE = _const({"role": "manager"})
PROFILE = _const({"name": "Renamed", "email_notifications": ""})
TRUST = _const({"colleagues": []})
DELETE_ME = _const({"password": PASSWORD, "confirmation": "delete my account"})
ENCOURAGE = _const({"kind": Encouragement.Kind.YOU_GOT_THIS})
COMMENT = _const({"body": "A kind word"})
# Members posting an invitation that wasn't sent to them are told they're in already (200); other
# signed-in people get 403. Only its addressee joins.
NOT_THEIRS = {"anonymous": L, "former": 403, "staff": 403} | dict.fromkeys(
    ["owner", "teammate", "trusted", "untrusted", "manager"], 200
)


@dataclass(frozen=True)
class Mutation:
    key: str
    code: str | None  # the label of the `code` argument, as in MATRIX
    actor: str  # who may make this change: the same POST by them succeeds
    changes: type[Model]  # what the actor's POST changes
    payload: Callable[[World], dict]
    # What every other visitor gets, when not the privacy rules' (anonymous: login; anyone
    # signed in whom may_be_answered leaves out: 404). Those it lets in aren't tried.
    refusals: dict | None = None
    prepare: Callable[[World], None] | None = None  # run before the snapshot

    @property
    def id(self) -> str:
        return f"{self.key}[{self.code}]" if self.code else self.key


# fmt: off
MUTATIONS = [
    #        pattern                         code=               actor         changes         payload
    Mutation("recovery:loss_create",         None,               "owner",      LostDeal,       LOSS_FORM),
    Mutation("recovery:loss_edit",           "private",          "owner",      LostDeal,       LOSS_FORM),
    Mutation("recovery:loss_edit",           "team_loss",        "owner",      LostDeal,       LOSS_FORM),
    Mutation("recovery:loss_delete",         "private",          "owner",      LostDeal,       NOTHING),
    Mutation("recovery:loss_delete",         "team_loss",        "owner",      LostDeal,       NOTHING),
    Mutation("recovery:loss_move_on",        "private",          "owner",      LostDeal,       NOTHING),
    Mutation("recovery:loss_undo_move_on",   "private",          "owner",      LostDeal,       NOTHING,
             prepare=move_on_private_loss),
    Mutation("recovery:reflection_edit",     "private",          "owner",      Reflection,     REFLECTION),
    Mutation("recovery:reflection_finish",   "private",          "owner",      Reflection,     FINISH),
    Mutation("recovery:reflection_reopen",   "team_loss",        "owner",      Reflection,     NOTHING),
    Mutation("recovery:check_in_create",     "private",          "owner",      CheckIn,        MOOD),
    Mutation("recovery:check_in_answer",     "check_in",         "owner",      CheckIn,        MOOD),
    Mutation("recovery:check_in_dismiss",    "pending_check_in", "owner",      CheckIn,        NOTHING),
    Mutation("recovery:import_start",        None,               "owner",      CsvImport,      UPLOAD),
    Mutation("recovery:import_confirm",      "import",           "owner",      CsvImport,      NOTHING),
    Mutation("recovery:webhook_create",      None,               "owner",      Webhook,        NOTHING),
    Mutation("recovery:webhook_revoke",      "webhook",          "owner",      Webhook,        NOTHING),
    Mutation("teams:team_create",            None,               "owner",      Team,           TEAM),
    Mutation("teams:invitation_create",      "team",             "manager",    Invitation,     INVITE),
    Mutation("teams:invitation_revoke",      "team",             "manager",    Invitation,     NOTHING),
    Mutation("teams:team_leave",             "team",             "teammate",   Membership,     NOTHING),
    Mutation("teams:member_remove",          "team",             "manager",    Membership,     NOTHING),
    Mutation("teams:member_set_role",        "team",             "manager",    Membership,     ROLE),
    Mutation("teams:invitation_accept",      None,               "other_team", Membership,     NOTHING,
             refusals=NOT_THEIRS),
    Mutation("teams:invitation_join",        "invitation",       "other_team", Membership,     NOTHING),
    Mutation("teams:invitation_decline",     "invitation",       "other_team", Invitation,     NOTHING),
    Mutation("teams:profile",                None,               "owner",      User,           PROFILE),
    Mutation("teams:account_delete",         None,               "owner",      User,           DELETE_ME),
    Mutation("teams:trusted_colleagues",     None,               "owner",      TrustedColleague, TRUST),
    Mutation("teams:share_create",           "private",          "owner",      SharedLoss,     SHARE),
    Mutation("teams:share_delete",           "team_loss",        "owner",      SharedLoss,     NOTHING),
    Mutation("teams:share_delete",           "trusted_loss",     "owner",      SharedLoss,     NOTHING),
    Mutation("teams:encourage",              "team_loss",        "teammate",   Encouragement,  ENCOURAGE),
    Mutation("teams:encourage",              "trusted_loss",     "trusted",    Encouragement,  ENCOURAGE),
    Mutation("teams:comment_create",         "team_loss",        "teammate",   Comment,        COMMENT),
    Mutation("teams:comment_create",         "trusted_loss",     "trusted",    Comment,        COMMENT),
    Mutation("teams:comment_hide",           "comment",          "owner",      Comment,        NOTHING),
    Mutation("teams:comment_show",           "comment",          "owner",      Comment,        NOTHING,
             prepare=hide_the_comment),
    Mutation("teams:notifications_read",     None,               "owner",      Notification,   NOTHING),
]
# fmt: on

# Tested on its own (test_the_webhook_address_...): its permission is a signature, not a person.
POSTED_ELSEWHERE = {"recovery:webhook_receive"}


def refusals(mutation: Mutation) -> dict:
    if mutation.refusals is not None:
        return mutation.refusals
    allowed = may_be_answered(mutation.key, {mutation.code} if mutation.code else set())
    allowed = allowed or frozenset(VISITORS) - {"anonymous"}
    return {visitor: L if visitor == "anonymous" else 404 for visitor in VISITORS if visitor not in allowed}


@pytest.mark.parametrize(
    "mutation",
    [pytest.param(m, id=m.id) for m in MUTATIONS],
)
def test_a_refused_post_changes_nothing_and_the_same_post_succeeds_for_the_allowed_person(world, mutation):
    pattern = pattern_named(mutation.key)
    url = Row(mutation.key, (("code", mutation.code),) if mutation.code else (), ()).url(world, pattern)
    if mutation.prepare:
        mutation.prepare(world)
    for visitor in VISITORS:
        world.client(visitor)  # Signed in before the snapshot: signing in writes last_login.
    before = snapshot()

    refused = refusals(mutation)
    assert refused, "a mutation nobody is refused proves nothing"
    problems = []
    for visitor, expected in refused.items():
        response = world.client(visitor).post(url, mutation.payload(world))
        if problem := answer_problem(response, expected):
            problems.append(f"POST as {visitor}: {problem}")
        if changed := changed_tables(before, snapshot()):
            problems.append(f"POST as {visitor} changed {changed}")
    assert not problems, _report(problems)

    # The same POST by the person allowed to make it: the refusals were about who asked.
    response = world.client(mutation.actor).post(url, mutation.payload(world))
    assert response.status_code == 302, f"POST as {mutation.actor}: {_described(response)}"
    assert not _is_login_redirect(response, reverse(settings.LOGIN_URL))
    assert mutation.changes._meta.label in changed_tables(before, snapshot())


def test_the_webhook_address_refuses_unsigned_posts_and_takes_a_signed_one(world):
    """The address and its signature are the permission: unsigned, nobody's POST makes a loss."""
    url = reverse("recovery:webhook_receive", kwargs={"code": world.args["webhook"]})
    body = json.dumps(
        {"deal_name": "Signed deal", "date_lost": today().isoformat(), "crm_id": "crm-1"}
    ).encode()
    for visitor in VISITORS:
        world.client(visitor)
    before = snapshot()
    for visitor in VISITORS:
        response = world.client(visitor).post(url, body, content_type="application/json")
        assert response.status_code == 401, f"unsigned POST as {visitor}: {_described(response)}"
    forged = hmac.new(b"not-the-secret", body, hashlib.sha256).hexdigest()
    headers = {"X-Rebound-Signature": f"sha256={forged}"}
    assert Client().post(url, body, content_type="application/json", headers=headers).status_code == 401
    assert changed_tables(before, snapshot()) == []

    signature = hmac.new(WEBHOOK_SECRET.encode(), body, hashlib.sha256).hexdigest()
    headers = {"X-Rebound-Signature": f"sha256={signature}"}
    assert Client().post(url, body, content_type="application/json", headers=headers).status_code == 202
    run_queued_tasks()
    assert LostDeal.objects.get(crm_id="crm-1").owner == world.users["owner"]


@pytest.mark.parametrize(
    ("key", "argument", "payload"),
    [
        ("teams:member_remove", "membership", {}),
        ("teams:member_set_role", "membership", {"role": "manager"}),
        ("teams:invitation_revoke", "invitation", {}),
    ],
)
def test_a_manager_cant_reach_another_teams_members_or_invitations_through_their_own_team(
    world, key, argument, payload
):
    """The member of another team manages a team of their own: its code doesn't open ours."""
    kwargs = {"code": world.args["other_team"], argument: world.args[OTHER_ARGUMENTS[argument]]}
    client = world.client("other_team")
    world.client("manager")
    before = snapshot()
    assert client.post(reverse(key, kwargs=kwargs), payload).status_code == 404
    assert changed_tables(before, snapshot()) == []
    # Through our team, its manager can: the refusal was about the team, not the request.
    kwargs["code"] = world.args["team"]
    assert world.client("manager").post(reverse(key, kwargs=kwargs), payload).status_code == 302
    assert changed_tables(before, snapshot()) != []


def test_every_post_only_view_has_a_row_in_the_table_of_mutations():
    post_only = {row.key for row in ROWS if 405 in row.expected[1:] and not row.key.startswith("admin")}
    mutated = {mutation.key for mutation in MUTATIONS} | POSTED_ELSEWHERE
    assert post_only - mutated == set(), "POST-only views with no row in MUTATIONS"
    assert {mutation.key for mutation in MUTATIONS} - {row.key for row in ROWS} == set()
