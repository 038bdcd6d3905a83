"""Hostile and bad input on every form: saved and shown escaped, or refused with a message; never a 500.

Property-based (hypothesis): each form gets any text (every code point except surrogates, so NUL
and the other control characters too; right-to-left text, emoji, HTML and <script>, SQL fragments,
template syntax) and, for the structured fields, any value at all. For a text field the outcome is
predicted from Django's own rules (stripped, no NUL, within max_length, present if required):
acceptable text is saved exactly as typed and every page that shows it escapes it; anything
else is refused with the form's error, the typed text coming back escaped. A few fixed 1 MB
strings run every time (@example). PostgreSQL refuses NUL in text: run this file with
DATABASE_URL pointing at PostgreSQL as well (the forms must refuse NUL before the database does).

Each example runs in a savepoint that is rolled back, so examples do not see each other's data,
and the emails a request sends after its commit are sent for real (to the in-memory mailbox).
"""

import contextlib
import csv
import datetime
import io
import re
import uuid
from urllib.parse import urlsplit

import pytest
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from recovery.models import CheckIn, CsvImport, LossReason, LostDeal
from teams import services as team_services
from teams.dismissive import dismissive_phrases_in
from teams.models import Comment, Encouragement, Invitation, SharedLoss, Team, TrustedColleague, User
from tests.conftest import make_loss, run_tasks, share
from tests.hostile_csv import HOSTILE_CSV_FILES

FUZZ = settings(
    max_examples=25,
    deadline=None,
    # No .hypothesis folder in the project; a failure prints the example to reproduce it.
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

# ---------------------------------------------------------------- what hostile text looks like

# Markup that must never reach a page as it was typed.
PAYLOADS = ("<script>alert(1)</script>", '"><img src=x onerror=alert(1)>')
SQL = "'; DROP TABLE recovery_lostdeal; --"
FRAGMENTS = (
    *PAYLOADS,
    SQL,
    "Robert'); DROP TABLE teams_user;--",
    "\x00",
    "a\x00b",
    "\u202eevil\u202c",  # right-to-left override
    "مرحبا بالعالم",
    "שלום עולם",
    "\u200f\u200e",
    "😀",
    "👍🏽",
    "👨‍👩‍👧‍👦",
    "🏳️‍🌈",
    "\x07\x08\x1b[31m\x7f",
    "\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029",  # what str.splitlines() calls line breaks
    "\r\n",
    "\t",
    " ",
    "\u00a0",
    "\ufeff",
    "\u200b",
    "%s %(name)s {{ user }} {% now 'Y' %}",
    "${7*7} #{7*7}",
    "../../etc/passwd",
    "&amp; &lt; &#x27;",
    "𝕳𝖊𝖑𝖑𝖔",
    "Z̤͔ͧ̑̓ä͖̭̈̇lͮ̒ͫǫ̗̻",
    '=HYPERLINK("http://example.com")',
)
# Every code point that UTF-8 can carry: NUL and the other control characters included.
any_char = st.characters(codec="utf-8")
hostile_text = st.one_of(
    st.text(any_char, max_size=120),
    st.sampled_from(FRAGMENTS),
    st.lists(
        st.one_of(st.sampled_from(FRAGMENTS), st.text(any_char, max_size=10)), min_size=1, max_size=6
    ).map("".join),
)


class Huge(str):
    """A huge string that a failing example prints in one short line."""

    def __repr__(self):
        return f"Huge({self[:12]!r} * {len(self):,} chars)"


# A few huge strings, each 1 MB of UTF-8 (the request limit is 2.5 MB): run every time.
MEGABYTE = 1_000_000
HUGE_SCRIPT = Huge(PAYLOADS[0] * (MEGABYTE // len(PAYLOADS[0])))
HUGE_EMOJI = Huge("😀" * (MEGABYTE // 4))
HUGE_NUL = Huge("\x00" * MEGABYTE)
# One more than a database's largest integer (bigint): an id no table can hold.
TOO_BIG_ID = str(2**63)

# Values for fields that are not free text: numbers, dates, codes, choices, near misses.
EDGE_VALUES = (
    "",
    " ",
    "0",
    "-1",
    "1",
    "5",
    "6",
    "1.5",
    "0.001",
    "1e400",
    "-1e400",
    "NaN",
    "Infinity",
    "-0",
    "12000",
    "12,000",
    "１２",  # full-width digits
    "٣",  # Arabic-Indic three
    "1_000",
    "9" * 30,
    "9" * 5000,  # longer than Python's int() accepts from a string
    "0x10",
    "2026-02-30",
    "0001-01-01",
    "9999-12-31",
    "10000-01-01",
    "1970-01-01",
    "EUR",
    "eur",
    "XXX",
    "proposal",
    "PROPOSAL",
    "trusted",
    "team",
    "true",
    "false",
    "on",
    "yes",
    "None",
    "null",
    "[]",
    "{}",
    "00000000-0000-0000-0000-000000000000",
    "//evil.example.com",
    "https://evil.example.com/",
    "javascript:alert(1)",
)
# Stands for "a valid value for this field", resolved by each test (a real code, id or choice).
VALID = "\uf8ffVALID"
any_value = st.one_of(
    st.just(VALID), st.just(VALID), hostile_text, st.sampled_from(EDGE_VALUES), st.integers().map(str)
)
any_values = st.lists(any_value, max_size=4)


def resolve(data: dict, valid: dict) -> dict:
    """The POST data with each VALID placeholder replaced by a valid value of its field."""

    def one(name, value):
        return valid[name] if value == VALID else value

    return {
        name: [one(name, v) for v in value] if isinstance(value, list) else one(name, value)
        for name, value in data.items()
    }


# ---------------------------------------------------------------- predicting and checking the outcome


def acceptable(text: str, *, max_length: int, required: bool = False) -> bool:
    """Whether a Django CharField (strip=True) accepts the text: no NUL, short enough, present if required."""
    value = text.strip()
    return "\x00" not in value and len(value) <= max_length and (bool(value) or not required)


@contextlib.contextmanager
def rolled_back():
    """One example in a savepoint, undone at its end: the next example starts from the same data."""
    with transaction.atomic():
        yield
        transaction.set_rollback(True)


def html_of(response) -> str:
    return response.content.decode()


def assert_no_live_markup(html: str) -> None:
    for payload in PAYLOADS:
        assert payload not in html, f"{payload!r} reached the page unescaped"


def assert_shown_escaped(html: str, text: str) -> None:
    """The page shows the text, escaped: no markup of it is live."""
    assert_no_live_markup(html)
    for payload in PAYLOADS:
        if payload in text:
            assert escape(payload) in html, f"{payload!r} is not on the page"
    if text and "\n" not in text and "\r" not in text:  # linebreaks turns those into <br> or <p>
        assert escape(text) in html, f"{text[:80]!r} is not on the page"


def assert_refused(response, text: str | None = None, *, status: int = 200) -> None:
    """Refused with the form's error, and what was typed comes back escaped."""
    assert response.status_code == status, response.status_code
    html = html_of(response)
    assert 'class="errorlist' in html, "refused without saying why"
    assert_no_live_markup(html)
    if text is not None and "\x00" in text.strip():
        assert "Null characters are not allowed" in html


def assert_stays_on_site(location: str) -> None:
    """A redirect after a form never leaves the site, whatever `next` said."""
    assert not location.startswith(("//", "/\\", "\\")), location
    parts = urlsplit(location)
    assert parts.scheme in ("", "http"), location
    assert parts.netloc in ("", "testserver"), location


def reason_pk() -> str:
    return str(LossReason.objects.get(slug="price-budget").pk)


def url(name: str, **kwargs) -> str:
    return reverse(name, kwargs=kwargs)


# ---------------------------------------------------------------- the people and data the forms need


@pytest.fixture
def deal(owner):
    return make_loss(owner, name="Acme renewal")


@pytest.fixture
def shared(deal, team, teammate):
    """The owner's loss, shared with their team (manager, owner, teammate)."""
    return share(deal, team=team, message="Lost on price.", show_amount=True, include_lesson=True)


@contextlib.contextmanager
def _then_run_tasks():
    run_tasks()  # what the fixtures queued goes first
    yield len(mail.outbox)
    run_tasks()


@pytest.fixture
def capture_emails():
    """Runs the tasks a request queued (its emails) when the block ends, as the worker does; gives
    how many emails were sent before (the fixtures' first)."""
    return _then_run_tasks


# ---------------------------------------------------------------- log and edit a loss

LOSS_TEXT_FIELDS = {"name": (200, True), "competitor": (100, False), "notes": (5000, False)}


def loss_data(**fields) -> dict:
    return {
        "name": "Acme renewal",
        "amount": "12000",
        "currency": "EUR",
        "stage": "proposal",
        "lost_on": timezone.localdate().isoformat(),
        "reasons": [reason_pk()],
        "competitor": "",
        "notes": "",
        **fields,
    }


@FUZZ
@given(editing=st.booleans(), field=st.sampled_from(sorted(LOSS_TEXT_FIELDS)), text=hostile_text)
@example(editing=False, field="notes", text=HUGE_SCRIPT)
@example(editing=True, field="name", text=HUGE_EMOJI)
@example(editing=False, field="competitor", text=HUGE_NUL)
@example(editing=False, field="name", text=SQL)
@example(editing=True, field="notes", text="a\x00b")
@example(editing=False, field="name", text="é" * 200)
def test_loss_form_saves_acceptable_text_exactly_and_shows_it_escaped(
    owner_client, owner, deal, editing, field, text
):
    max_length, required = LOSS_TEXT_FIELDS[field]
    submission = str(uuid.uuid4())
    data = loss_data(**{field: text}) | ({} if editing else {"submission_id": submission})
    target = url("recovery:loss_edit", code=deal.code) if editing else url("recovery:loss_create")
    with rolled_back():
        response = owner_client.post(target, data)
        saved = deal if editing else LostDeal.objects.filter(owner=owner, submission_id=submission).first()
        if not acceptable(text, max_length=max_length, required=required):
            assert_refused(response, text)
            if editing:
                deal.refresh_from_db()
                assert getattr(deal, field) == {"name": "Acme renewal"}.get(field, "")
            else:
                assert saved is None
            return
        assert response.status_code == 302, html_of(response)[:2000]
        saved.refresh_from_db()
        assert getattr(saved, field) == text.strip()
        page = owner_client.get(url("recovery:loss_detail", code=saved.code))
        assert page.status_code == 200
        assert_shown_escaped(html_of(page), text.strip())


@FUZZ
@given(
    editing=st.booleans(),
    data=st.fixed_dictionaries(
        {
            "name": any_value,
            "amount": any_value,
            "currency": any_value,
            "stage": any_value,
            "lost_on": any_value,
            "reasons": any_values,
            "competitor": any_value,
            "notes": any_value,
            "submission_id": any_value,
        }
    ),
)
@example(
    editing=False,
    data=dict.fromkeys(("name", "amount", "currency", "stage", "lost_on", "competitor", "notes"), VALID)
    | {"submission_id": VALID, "reasons": [TOO_BIG_ID]},
)
def test_loss_form_with_any_values_saves_or_explains_never_fails(owner_client, owner, deal, editing, data):
    valid = loss_data(submission_id=str(uuid.uuid4())) | {"reasons": reason_pk()}
    target = url("recovery:loss_edit", code=deal.code) if editing else url("recovery:loss_create")
    with rolled_back():
        before = LostDeal.objects.filter(owner=owner).count()
        response = owner_client.post(target, resolve(data, valid))
        if response.status_code == 302:
            assert LostDeal.objects.filter(owner=owner).count() == before + (0 if editing else 1)
            page = owner_client.get(response.url)
            assert page.status_code == 200
            assert_no_live_markup(html_of(page))
        else:
            assert_refused(response)
            assert LostDeal.objects.filter(owner=owner).count() == before


# ---------------------------------------------------------------- the reflection

REFLECTION_TEXT_FIELDS = {
    "feelings": 5000,
    "talk_to": 300,
    "unhelpful_advice": 2000,
    "outside_control": 2000,
    "lesson": 300,
}
FINISH_ESSENTIALS = {"emotions": ["sad", "determined"], "mood": "2", "lesson": "Qualify the budget earlier."}


@FUZZ
@given(finishing=st.booleans(), field=st.sampled_from(sorted(REFLECTION_TEXT_FIELDS)), text=hostile_text)
@example(finishing=False, field="feelings", text=HUGE_SCRIPT)
@example(finishing=True, field="lesson", text=HUGE_EMOJI)
@example(finishing=False, field="unhelpful_advice", text=HUGE_NUL)
@example(finishing=True, field="lesson", text="  \t ")
@example(finishing=True, field="outside_control", text=PAYLOADS[1])
def test_reflection_saves_acceptable_text_exactly_and_shows_it_escaped(
    owner_client, deal, finishing, field, text
):
    view = "recovery:reflection_finish" if finishing else "recovery:reflection_edit"
    data = (FINISH_ESSENTIALS if finishing else {}) | {field: text}
    ok = acceptable(text, max_length=REFLECTION_TEXT_FIELDS[field])
    if finishing and field == "lesson":
        ok = ok and bool(text.strip())  # finishing needs a lesson
    with rolled_back():
        response = owner_client.post(url(view, code=deal.code), data)
        reflection = deal.reflection
        reflection.refresh_from_db()
        if not ok:
            assert_refused(response, text)
            assert getattr(reflection, field) == ""
            assert not reflection.is_finished
            return
        assert response.status_code == 302, html_of(response)[:2000]
        assert getattr(reflection, field) == text.strip()
        assert reflection.is_finished == finishing
        page = owner_client.get(url("recovery:reflection_edit", code=deal.code))
        assert page.status_code == 200
        assert_shown_escaped(html_of(page), text.strip())
        if field == "lesson":
            detail = owner_client.get(url("recovery:loss_detail", code=deal.code))
            assert_shown_escaped(html_of(detail), text.strip())


@FUZZ
@given(
    finishing=st.booleans(),
    data=st.fixed_dictionaries(
        {
            "emotions": any_values,
            "mood": any_value,
            "people": any_values,
            "feelings": any_value,
            "talk_to": any_value,
            "lesson": any_value,
        }
    ),
)
@example(
    finishing=False,
    data={"emotions": [], "mood": VALID, "people": [TOO_BIG_ID], "feelings": "", "talk_to": "", "lesson": ""},
)
def test_reflection_with_any_values_saves_or_explains_never_fails(
    owner_client, deal, teammate, finishing, data
):
    valid = {
        "emotions": "sad",
        "mood": "3",
        "people": str(teammate.pk),
        "feelings": "Gutted.",
        "talk_to": "My mentor",
        "lesson": "Multi-thread earlier.",
    }
    view = "recovery:reflection_finish" if finishing else "recovery:reflection_edit"
    with rolled_back():
        response = owner_client.post(url(view, code=deal.code), resolve(data, valid))
        deal.reflection.refresh_from_db()
        if response.status_code == 302:
            assert deal.reflection.is_finished == finishing
            assert_no_live_markup(html_of(owner_client.get(response.url)))
        else:
            assert_refused(response)
            assert deal.reflection.status == "not_started"


# ---------------------------------------------------------------- check-ins


@FUZZ
@given(answering=st.booleans(), text=hostile_text)
@example(answering=True, text=HUGE_SCRIPT)
@example(answering=False, text=HUGE_EMOJI)
@example(answering=False, text=HUGE_NUL)
def test_check_in_note_saves_acceptable_text_exactly_and_shows_it_escaped(
    owner_client, deal, answering, text
):
    prompt = deal.check_ins.order_by("due_on").first()
    target = (
        url("recovery:check_in_answer", code=prompt.code)
        if answering
        else url("recovery:check_in_create", code=deal.code)
    )
    with rolled_back():
        before = set(
            CheckIn.objects.filter(deal=deal, answered_at__isnull=False).values_list("pk", flat=True)
        )
        response = owner_client.post(target, {"mood": "2", "note": text})
        answered = CheckIn.objects.filter(deal=deal, answered_at__isnull=False).exclude(pk__in=before)
        if not acceptable(text, max_length=2000):
            assert_refused(response, text)
            assert not answered.exists()
            return
        assert response.status_code == 302, html_of(response)[:2000]
        assert [check_in.note for check_in in answered] == [text.strip()]
        page = owner_client.get(url("recovery:loss_detail", code=deal.code))
        assert_shown_escaped(html_of(page), text.strip())


@FUZZ
@given(
    answering=st.booleans(),
    data=st.fixed_dictionaries({"mood": any_value, "note": any_value, "next": any_value}),
)
@example(answering=True, data={"mood": VALID, "note": VALID, "next": "yes"})
@example(answering=True, data={"mood": VALID, "note": VALID, "next": "//evil.example.com/"})
def test_check_in_with_any_values_saves_or_explains_and_stays_on_the_site(
    owner_client, deal, answering, data
):
    prompt = deal.check_ins.order_by("due_on").first()
    target = (
        url("recovery:check_in_answer", code=prompt.code)
        if answering
        else url("recovery:check_in_create", code=deal.code)
    )
    valid = {"mood": "4", "note": "Better today.", "next": url("recovery:loss_list")}
    with rolled_back():
        response = owner_client.post(target, resolve(data, valid))
        answered = CheckIn.objects.filter(deal=deal, answered_at__isnull=False)
        if response.status_code == 302:
            assert answered.count() == 1
            assert_stays_on_site(response.url)
        else:
            assert_refused(response)
            assert not answered.exists()


@FUZZ
@given(next_url=any_value)
@example(next_url="yes")
@example(next_url="/\\evil.example.com")
def test_dismissing_a_check_in_with_any_next_goes_back_on_the_site(owner_client, deal, next_url):
    prompt = deal.check_ins.order_by("due_on").first()
    posted = resolve({"next": next_url}, {"next": url("recovery:loss_list")})
    with rolled_back():
        response = owner_client.post(url("recovery:check_in_dismiss", code=prompt.code), posted)
        assert response.status_code == 302
        assert_stays_on_site(response.url)
        prompt.refresh_from_db()
        assert prompt.dismissed_at is not None


# ---------------------------------------------------------------- My losses filters

FILTERS = ("date_from", "date_to", "reason", "stage", "moved_on", "finished", "order", "page")


@FUZZ
@given(
    params=st.dictionaries(
        st.one_of(st.sampled_from(FILTERS), hostile_text), st.one_of(any_value, any_values), max_size=8
    )
)
@example(params={"reason": HUGE_SCRIPT[:100_000], "page": "9" * 5000, "stage": "\x00"})
def test_my_losses_with_any_query_string_shows_the_list(owner_client, deal, params):
    valid = dict.fromkeys(params, "") | {
        "date_from": "2020-01-01",
        "reason": "price-budget",
        "stage": "proposal",
        "moved_on": "no",
        "finished": "no",
        "order": "amount",
        "page": "1",
    }
    response = owner_client.get(url("recovery:loss_list"), resolve(params, valid))
    assert response.status_code == 200
    # The values typed come back in the filter form: escaped.
    assert_no_live_markup(html_of(response))


@FUZZ
@given(query=st.text(st.characters(max_codepoint=255), max_size=300))
@example(query="reason=%00&stage=%ZZ&page=%FF%FE&&&=&order=amount&date_from=2026-02-30")
@example(query="reason=%3Cscript%3Ealert(1)%3C%2Fscript%3E")
def test_my_losses_with_any_raw_query_string_shows_the_list(owner_client, deal, query):
    # A WSGI server hands the query string over as latin-1 text: any byte may be in it.
    response = owner_client.get(url("recovery:loss_list"), QUERY_STRING=query)
    assert response.status_code == 200
    assert_no_live_markup(html_of(response))


# ---------------------------------------------------------------- teams, invitations, trusted colleagues


@FUZZ
@given(text=hostile_text)
@example(text=HUGE_SCRIPT)
@example(text=HUGE_EMOJI)
@example(text=HUGE_NUL)
@example(text="'; DROP TABLE teams_team; --")
def test_team_name_saves_acceptable_text_exactly_and_shows_it_escaped(owner_client, owner, text):
    with rolled_back():
        response = owner_client.post(url("teams:team_create"), {"name": text})
        mine = Team.objects.filter(memberships__user=owner)
        if not acceptable(text, max_length=80, required=True):
            assert_refused(response, text)
            assert not mine.exists()
            return
        assert response.status_code == 302, html_of(response)[:2000]
        team = mine.get()
        assert team.name == text.strip()
        for page in (owner_client.get(response.url), owner_client.get(url("teams:team_list"))):
            assert page.status_code == 200
            assert_shown_escaped(html_of(page), text.strip())


# Addresses that Django's EmailValidator accepts although they are odd: a quoted local part may
# hold markup and control characters.
quoted_addresses = st.builds(
    lambda local: f'"{local}"@example.com',
    st.one_of(
        st.sampled_from(PAYLOADS),
        st.text(st.characters(min_codepoint=1, max_codepoint=31, exclude_characters="\t\n\r"), min_size=1),
    ),
)


@FUZZ
@given(email=st.one_of(st.emails(), quoted_addresses, hostile_text))
@example(email=f"{HUGE_SCRIPT[:300]}@example.com")
@example(email=HUGE_EMOJI)
@example(email="ana@例え.jp")
@example(email="ana\x00@example.com")
@example(email='"<script>alert(1)</script>"@example.com')
@example(email='"\x0b"@example.com')
def test_invitation_sends_to_any_address_it_accepts_and_refuses_the_rest(
    client, manager, team, capture_emails, email
):
    client.force_login(manager)
    with rolled_back():
        with capture_emails() as sent:
            response = client.post(url("teams:invitation_create", code=team.code), {"email": email})
        invitations = Invitation.objects.filter(team=team)
        if response.status_code != 302:
            assert_refused(response, email)
            assert not invitations.exists()
            return
        invitation = invitations.get()
        assert invitation.email == email.strip().lower()
        assert len(mail.outbox) == sent + 1
        assert mail.outbox[-1].to == [invitation.email]
        page = client.get(url("teams:team_detail", code=team.code))
        assert_shown_escaped(html_of(page), invitation.email)


@FUZZ
@given(role=any_value)
@example(role="manager")
@example(role="MANAGER")
@example(role="owner")
def test_changing_a_role_to_anything_changes_it_only_to_a_real_role(client, manager, team, teammate, role):
    membership = team.memberships.get(user=teammate)
    role = resolve({"role": role}, {"role": "manager"})["role"]
    client.force_login(manager)
    with rolled_back():
        response = client.post(
            url("teams:member_set_role", code=team.code, membership=membership.code), {"role": role}
        )
        assert response.status_code == 302
        membership.refresh_from_db()
        assert membership.role == (role if role in ("manager", "member") else "member")
        assert_no_live_markup(html_of(client.get(response.url)))


@FUZZ
@given(token=st.text(any_char, min_size=1, max_size=300).filter(lambda token: "/" not in token))
@example(token=PAYLOADS[0].replace("/", ""))
@example(token="\x00")
@example(token="x" * 10_000)
def test_an_invitation_link_with_any_token_is_a_plain_404(client, db, token):
    response = client.get(reverse("teams:invitation_accept", kwargs={"token": token}))
    assert response.status_code == 404
    assert_no_live_markup(html_of(response))


@FUZZ
@given(colleagues=any_values)
@example(colleagues=[TOO_BIG_ID])
@example(colleagues=[VALID, "-1"])
def test_trusted_colleagues_saves_teammates_and_refuses_anyone_else(
    owner_client, owner, teammate, manager, outsider, colleagues
):
    allowed = {str(teammate.pk), str(manager.pk)}
    valid = {"colleagues": str(teammate.pk)}
    picked = resolve({"colleagues": colleagues}, valid)["colleagues"]
    with rolled_back():
        response = owner_client.post(url("teams:trusted_colleagues"), {"colleagues": picked})
        trusted = set(TrustedColleague.objects.filter(owner=owner).values_list("colleague_id", flat=True))
        if set(picked) <= allowed:
            assert response.status_code == 302
            assert {str(pk) for pk in trusted} == set(picked)
        else:
            assert_refused(response)
            assert not trusted


@FUZZ
@given(
    picked=st.lists(st.sampled_from(["outsider", "outsider pk with spaces", "owner"]), min_size=1, max_size=2)
)
def test_trusted_colleagues_never_trusts_someone_outside_the_owners_teams(
    owner_client, owner, teammate, outsider, picked
):
    values = {
        "outsider": str(outsider.pk),
        "outsider pk with spaces": f" {outsider.pk} ",
        "owner": str(owner.pk),
    }
    with rolled_back():
        response = owner_client.post(
            url("teams:trusted_colleagues"), {"colleagues": [str(teammate.pk), *(values[p] for p in picked)]}
        )
        assert_refused(response)
        assert not TrustedColleague.objects.filter(owner=owner).exists()


# ---------------------------------------------------------------- sharing, comments, encouragement


@FUZZ
@given(text=hostile_text, show_name=st.booleans(), include_lesson=st.booleans())
@example(text=HUGE_SCRIPT, show_name=True, include_lesson=True)
@example(text=HUGE_EMOJI, show_name=False, include_lesson=False)
@example(text=HUGE_NUL, show_name=True, include_lesson=False)
def test_share_message_saves_acceptable_text_exactly_and_shows_it_escaped(
    owner_client, deal, team, teammate, capture_emails, text, show_name, include_lesson
):
    data = {"audience": str(team.code), "message": text}
    data |= {"show_name": "on"} if show_name else {}
    data |= {"include_lesson": "on"} if include_lesson else {}
    with rolled_back():
        with capture_emails() as sent:
            response = owner_client.post(url("teams:share_create", code=deal.code), data)
        if not acceptable(text, max_length=1000):
            assert_refused(response, text)
            assert not SharedLoss.objects.filter(deal=deal).exists()
            return
        assert response.status_code == 302, html_of(response)[:2000]
        assert SharedLoss.objects.get(deal=deal).message == text.strip()
        assert len(mail.outbox) == sent + 2  # the manager and the teammate
        page = owner_client.get(url("teams:shared_loss", code=deal.code))
        assert_shown_escaped(html_of(page), text.strip())


@FUZZ
@given(
    data=st.fixed_dictionaries(
        {
            "audience": any_value,
            "message": any_value,
            "show_name": any_value,
            "show_amount": any_value,
            "include_lesson": any_value,
        }
    )
)
def test_share_with_any_values_shares_or_explains_never_fails(owner_client, deal, team, teammate, data):
    valid = {
        "audience": str(team.code),
        "message": "Lost on price.",
        "show_name": "on",
        "show_amount": "",
        "include_lesson": "on",
    }
    with rolled_back():
        response = owner_client.post(url("teams:share_create", code=deal.code), resolve(data, valid))
        if response.status_code == 302:
            assert SharedLoss.objects.filter(deal=deal).exists()
            assert_no_live_markup(html_of(owner_client.get(response.url)))
        else:
            assert_refused(response)
            assert not SharedLoss.objects.filter(deal=deal).exists()


@FUZZ
@given(text=hostile_text, post_anyway=st.booleans())
@example(text=HUGE_SCRIPT, post_anyway=False)
@example(text=HUGE_EMOJI, post_anyway=True)
@example(text=HUGE_NUL, post_anyway=False)
@example(text="Their loss! <script>alert(1)</script>", post_anyway=False)
@example(text="Their loss! <script>alert(1)</script>", post_anyway=True)
def test_comment_saves_acceptable_text_exactly_and_shows_it_escaped(
    client, shared, teammate, capture_emails, text, post_anyway
):
    client.force_login(teammate)
    data = {"body": text} | ({"post_anyway": "on"} if post_anyway else {})
    with rolled_back():
        with capture_emails() as sent:
            response = client.post(url("teams:comment_create", code=shared.deal.code), data)
        comments = Comment.objects.filter(shared=shared)
        if not acceptable(text, max_length=Comment.MAX_LENGTH, required=True):
            assert_refused(response, text)
            assert not comments.exists()
            return
        if dismissive_phrases_in(text.strip()) and not post_anyway:
            # Tip 2: held back to rephrase, the words still in the box, escaped.
            assert response.status_code == 200
            assert not comments.exists()
            assert_no_live_markup(html_of(response))
            return
        assert response.status_code == 302, html_of(response)[:2000]
        assert comments.get().body == text.strip()
        assert len(mail.outbox) == sent + 1  # the loss's owner
        page = client.get(url("teams:shared_loss", code=shared.deal.code))
        assert_shown_escaped(html_of(page), text.strip())


@FUZZ
@given(
    data=st.fixed_dictionaries({"kind": any_value, "next": any_value}),
    wants_json=st.booleans(),
)
@example(data={"kind": VALID, "next": "yes"}, wants_json=False)
@example(data={"kind": VALID, "next": "https://evil.example.com/"}, wants_json=False)
@example(data={"kind": "\x00", "next": VALID}, wants_json=True)
def test_encouragement_with_any_values_toggles_or_explains_and_stays_on_the_site(
    client, shared, teammate, data, wants_json
):
    client.force_login(teammate)
    posted = resolve(data, {"kind": "been_there", "next": url("teams:feed")})
    headers = {"Accept": "application/json"} if wants_json else {}
    valid_kind = posted["kind"] in Encouragement.Kind.values
    with rolled_back():
        response = client.post(url("teams:encourage", code=shared.deal.code), posted, headers=headers)
        encouragements = Encouragement.objects.filter(shared=shared, user=teammate)
        if not valid_kind:
            assert response.status_code == 400
            assert not encouragements.exists()
            if wants_json:
                assert response.json()["error"]
            else:
                assert "message--error" in html_of(response)
                assert_no_live_markup(html_of(response))
            return
        assert encouragements.get().kind == posted["kind"]
        if wants_json:
            assert response.status_code == 200
            assert response.json()["given"] is True
        else:
            assert response.status_code == 302
            assert_stays_on_site(response.url)


# ---------------------------------------------------------------- profile, dashboard, sign-up and login


@FUZZ
@given(text=hostile_text, notifications=any_value)
@example(text=HUGE_SCRIPT, notifications="on")
@example(text=HUGE_EMOJI, notifications="")
@example(text=HUGE_NUL, notifications="on")
def test_profile_name_saves_acceptable_text_exactly_and_shows_it_escaped(
    owner_client, owner, text, notifications
):
    data = {"name": text, "email_notifications": "on" if notifications == VALID else notifications}
    with rolled_back():
        response = owner_client.post(url("teams:profile"), data)
        owner.refresh_from_db()
        if not acceptable(text, max_length=80, required=True):
            assert_refused(response, text)
            assert owner.name == "Olivia Owner"
            return
        assert response.status_code == 302, html_of(response)[:2000]
        assert owner.name == text.strip()
        page = owner_client.get(url("teams:profile"))
        assert_shown_escaped(html_of(page), text.strip())


@FUZZ
@given(
    csv_file=st.booleans(),
    params=st.dictionaries(st.one_of(st.just("weeks"), hostile_text), any_value, max_size=4),
)
@example(csv_file=False, params={"weeks": "9" * 5000})
@example(csv_file=True, params={"weeks": "\x00"})
@example(csv_file=False, params={"weeks": "١٢"})
@example(csv_file=True, params={"weeks": "-4"})
@example(csv_file=False, params={"weeks": PAYLOADS[1]})
def test_dashboard_with_any_range_shows_the_dashboard(client, manager, team, csv_file, params):
    client.force_login(manager)
    params = resolve(params, dict.fromkeys(params, "12"))
    response = client.get(
        url("teams:dashboard_csv" if csv_file else "teams:dashboard", code=team.code), params
    )
    assert response.status_code == 200
    assert_no_live_markup(response.content.decode())


@FUZZ
@given(
    data=st.fixed_dictionaries(
        {"email": st.one_of(st.emails(), hostile_text), "name": hostile_text, "password1": hostile_text}
    )
)
@example(data={"email": "new@example.com", "name": HUGE_SCRIPT, "password1": "a-long-test-password"})
@example(data={"email": "new@example.com", "name": "Ana\x00", "password1": "a-long-test-password\x00"})
@example(data={"email": '"\x0b"@example.com', "name": "Ana", "password1": "a-long-test-password-x9"})
def test_sign_up_with_any_values_signs_up_or_explains_never_fails(db, client, data):
    with rolled_back():
        response = client.post(reverse("account_signup"), data | {"password2": data["password1"]})
        # Not looked up by the address typed: PostgreSQL refuses a query with NUL in it.
        users = list(User.objects.all())
        if response.status_code == 302:
            assert [(user.email.lower(), user.name) for user in users] == [
                (data["email"].strip().lower(), data["name"].strip())
            ]
        else:
            assert response.status_code in (200, 429)
            assert not users
            assert_no_live_markup(html_of(response))


@FUZZ
@given(login=st.one_of(st.just("owner@example.com"), st.emails(), hostile_text), password=hostile_text)
@example(login="owner@example.com\x00", password="a-long-test-password")
@example(login=HUGE_SCRIPT, password=HUGE_NUL)
def test_login_with_any_values_refuses_without_failing(client, owner, login, password):
    with rolled_back():
        response = client.post(reverse("account_login"), {"login": login, "password": password})
        assert response.status_code in (
            200,
            429,
        )  # wrong (the password is never hostile text) or rate-limited
        assert "_auth_user_id" not in client.session
        assert_no_live_markup(html_of(response))


# ---------------------------------------------------------------- CSV files built to keep a worker busy


@pytest.mark.parametrize(("data", "says"), HOSTILE_CSV_FILES.values(), ids=HOSTILE_CSV_FILES.keys())
def test_a_csv_built_to_keep_a_worker_busy_is_refused_next_to_the_file_field(owner_client, data, says):
    """Refused in one pass over the file (no timing here: the bench times the slowest of them)."""
    response = owner_client.post(
        url("recovery:import_start"),
        {"file": SimpleUploadedFile("deals.csv", data, content_type="text/csv"), "default_currency": "GBP"},
    )

    assert response.status_code == 200
    errors = response.context["form"].errors
    assert list(errors) == ["file"]
    assert errors["file"][0].startswith(says)
    html = html_of(response)
    # Under the file field, linked to it; the currency picked is still picked.
    file_errors = re.search(r'<ul class="errorlist" id="id_file_error"><li>(.*?)</li>', html)
    assert file_errors is not None
    assert file_errors.group(1).startswith(escape(says))
    assert re.search(r'<input type="file" name="file"[^>]* aria-invalid="true"', html)
    assert '<option value="GBP" selected>' in html
    assert not CsvImport.objects.exists()
    assert not LostDeal.objects.exists()


# ---------------------------------------------------------------- every page escapes what people typed

XSS = PAYLOADS[0]
ATTR = PAYLOADS[1]


@pytest.fixture
def hostile_world(owner, manager, team, teammate):
    """Every kind of user text holds markup: names, a team, a loss, its reflection, a share, a comment."""
    owner.name, teammate.name = f"Olivia {XSS}", f"Theo {ATTR}"
    owner.save()
    teammate.save()
    team.name = f"EMEA {ATTR}"
    team.save()
    deal = make_loss(
        owner, name=f"Acme {XSS}", competitor=f"Globex {ATTR}", notes=f"Notes {XSS}\nsecond line {ATTR}"
    )
    reflection = deal.reflection
    reflection.lesson = f"Lesson {XSS}"
    reflection.feelings = f"Feelings {ATTR}"
    reflection.talk_to = f"Mentor {XSS}"
    reflection.save()
    TrustedColleague.objects.create(owner=owner, colleague=teammate)
    shared = share(deal, team=team, message=f"Message {XSS}", show_amount=True, include_lesson=True)
    team_services.comment_create(shared=shared, author=teammate, body=f"Comment {ATTR}")
    team_services.encouragement_toggle(shared=shared, user=teammate, kind="been_there")
    return deal


def assert_escaped_on(response, *texts):
    assert response.status_code == 200
    html = html_of(response)
    assert_no_live_markup(html)
    for text in texts:
        assert escape(text) in html, f"{text!r} is not on the page, escaped"


def test_every_page_shows_what_people_typed_escaped(client, hostile_world, owner, teammate, manager, team):
    deal = hostile_world
    client.force_login(owner)
    assert_escaped_on(client.get("/"), owner.name)
    assert_escaped_on(client.get(url("recovery:loss_list")), deal.name)
    assert_escaped_on(
        client.get(url("recovery:loss_detail", code=deal.code)),
        deal.name,
        deal.competitor,
        f"Notes {XSS}",
        f"second line {ATTR}",
        f"Lesson {XSS}",
        team.name,
    )
    assert_escaped_on(
        client.get(url("recovery:reflection_edit", code=deal.code)), f"Feelings {ATTR}", f"Mentor {XSS}"
    )
    assert_escaped_on(client.get(url("recovery:my_recovery")), f"Lesson {XSS}")
    assert_escaped_on(client.get(url("teams:notifications")), teammate.name, deal.name)
    assert_escaped_on(client.get(url("teams:trusted_colleagues")), teammate.name)
    assert_escaped_on(client.get(url("teams:team_list")), team.name)
    assert_escaped_on(client.get(url("teams:team_detail", code=team.code)), team.name, teammate.name)
    assert_escaped_on(
        client.get(url("teams:shared_loss", code=deal.code)), deal.name, f"Message {XSS}", f"Comment {ATTR}"
    )
    assert_escaped_on(client.get(url("teams:share_delete", code=deal.code)), deal.name)

    client.force_login(teammate)
    assert_escaped_on(client.get(url("teams:feed")), owner.name, deal.name, f"Message {XSS}")
    assert_escaped_on(
        client.get(url("teams:shared_loss", code=deal.code)),
        owner.name,
        deal.name,
        f"Lesson {XSS}",
        f"Comment {ATTR}",
        team.name,
    )
    assert_escaped_on(client.get(url("teams:notifications")), owner.name, deal.name)

    client.force_login(manager)
    assert_escaped_on(
        client.get(url("teams:dashboard", code=team.code)), team.name, f"Lesson {XSS}", owner.name
    )


def test_dashboard_csv_file_name_stays_a_plain_name_whatever_the_team_is_called(client, manager, team):
    team.name = '"; filename="evil.exe\r\nX-Injected: 1'
    team.save()
    client.force_login(manager)
    response = client.get(url("teams:dashboard_csv", code=team.code))
    assert response.status_code == 200
    # One quoted name of letters, digits and dashes: nothing typed can close the quote or add a header.
    assert re.fullmatch(r'attachment; filename="[a-z0-9-]+\.csv"', response.headers["Content-Disposition"])
    assert "X-Injected" not in response.headers


FORMULAS = {
    "deal": '=HYPERLINK("http://evil.example.com","Click")',
    "competitor": "+1+cmd|' /C calc'!A0",
    "notes": "-2+3",
    "lesson": "@SUM(1,1)",
    "talk_to": "\t=1+1",
    "feelings": "\r=1+1",
}


def test_my_data_csv_prefixes_every_cell_a_spreadsheet_would_run(owner_client, owner):
    deal = make_loss(owner, name=FORMULAS["deal"], competitor=FORMULAS["competitor"], notes=FORMULAS["notes"])
    reflection = deal.reflection
    reflection.lesson, reflection.talk_to, reflection.feelings = (
        FORMULAS["lesson"],
        FORMULAS["talk_to"],
        FORMULAS["feelings"],
    )
    reflection.save()
    response = owner_client.get(url("recovery:export_csv"))
    assert response.status_code == 200
    rows = list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert len(rows) == 1
    for column, formula in FORMULAS.items():
        assert rows[0][column] == "'" + formula, column
    for column, value in rows[0].items():
        assert not value.startswith(("=", "+", "-", "@", "\t", "\r")), (column, value)


# ---------------------------------------------------------------- emails: plain text plain, HTML escaped


def test_email_subjects_show_names_as_typed_not_html_escaped(owner, manager, team, teammate, mailoutbox):
    """A subject line is plain text: "O'Brien & Co" must not arrive as "O&#x27;Brien &amp; Co"."""
    teammate.name = "Seán O'Brien & <Co>"
    teammate.save()
    deal = make_loss(owner, name='R&D "platform" deal')
    shared = share(deal, team=team, message="")
    team_services.comment_create(shared=shared, author=teammate, body="Here for you.")
    team_services.encouragement_toggle(shared=shared, user=teammate, kind="been_there")
    team_services.invitation_create(team=team, invited_by=teammate, email="new@example.com")
    # What the teammate did: a comment and encouragement (to the owner), an invitation (to new@).
    subjects = [m.subject for m in mailoutbox if m.to in (["owner@example.com"], ["new@example.com"])]
    assert len(subjects) == 3, [message.subject for message in mailoutbox]
    for subject in subjects:
        assert subject.startswith("Seán O'Brien & <Co> "), subject


def test_html_emails_escape_names_and_deal_titles(owner, manager, team, teammate, mailoutbox):
    teammate.name = f"Theo {XSS}"
    teammate.save()
    deal = make_loss(owner, name=f"Acme {ATTR}")
    shared = share(deal, team=team, message="")
    team_services.comment_create(shared=shared, author=teammate, body="Here for you.")
    assert mailoutbox
    for message in mailoutbox:
        for html, mimetype in message.alternatives:
            assert mimetype == "text/html"
            assert_no_live_markup(html)
    comment_email = mailoutbox[-1]
    assert escape(teammate.name) in comment_email.alternatives[0][0]


# ---------------------------------------------------------------- the same payload succeeds for valid input


def test_a_loss_named_with_markup_saves_for_its_owner_and_is_404_for_anyone_else(
    client, owner, deal, outsider
):
    """Markup is text like any other for its owner; to anyone else the loss's pages do not exist."""
    client.force_login(owner)
    response = client.post(url("recovery:loss_edit", code=deal.code), loss_data(name=XSS))
    assert response.status_code == 302
    client.force_login(outsider)
    assert client.get(url("recovery:loss_detail", code=deal.code)).status_code == 404
    assert client.post(url("recovery:loss_edit", code=deal.code), loss_data(name="x")).status_code == 404


def test_lost_on_far_in_the_past_is_saved_and_every_page_still_renders(owner_client, owner, manager, team):
    """Year 1 is a valid date: the pages that group losses by week and month must not fail on it."""
    response = owner_client.post(
        url("recovery:loss_create"),
        loss_data(lost_on="0001-01-01", submission_id=str(uuid.uuid4())),
    )
    assert response.status_code == 302
    deal = LostDeal.objects.get(owner=owner)
    assert deal.lost_on == datetime.date(1, 1, 1)
    owner_client.post(url("recovery:loss_move_on", code=deal.code))
    for page in ("/", url("recovery:loss_list"), url("recovery:my_recovery"), url("recovery:export_csv")):
        assert owner_client.get(page).status_code == 200, page
    owner_client.force_login(manager)
    assert owner_client.get(url("teams:dashboard", code=team.code), {"weeks": "52"}).status_code == 200
