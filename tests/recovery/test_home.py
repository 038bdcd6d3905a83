"""The signed-in home page: log a loss, check-ins due, reflections to finish."""

import datetime

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from recovery import services
from recovery.models import CheckIn
from tests.conftest import HEADER_QUERIES, make_loss

HOME = reverse("home")
# A fixed Monday morning, so the check-in days are easy to read.
DAY_0 = datetime.datetime(2026, 3, 2, 9, 0, tzinfo=datetime.UTC)


def save_reflection(deal, *, finish=False, **answers):
    blank = dict.fromkeys(["feelings", "talk_to", "unhelpful_advice", "outside_control", "lesson"], "")
    fields = {**blank, "emotions": [], "mood": None, **answers}
    services.reflection_save(reflection=deal.reflection, finish=finish, **fields)


def days_later(n):
    return DAY_0 + datetime.timedelta(days=n)


def test_anonymous_visitor_sees_the_landing_page(client, db):
    response = client.get(HOME)
    assert response.status_code == 200
    assert response.templates[0].name == "landing.html"
    assert reverse("recovery:loss_create") not in response.text


def test_owner_gets_the_log_button_and_the_links_to_look_back(owner_client):
    response = owner_client.get(HOME)
    assert response.status_code == 200
    assert f'href="{reverse("recovery:loss_create")}">Log a lost deal</a>' in response.text
    assert f'href="{reverse("recovery:loss_list")}">My losses</a>' in response.text
    assert f'href="{reverse("recovery:my_recovery")}">My recovery</a>' in response.text


def test_rep_with_nothing_due_gets_a_warm_empty_state(owner_client):
    response = owner_client.get(HOME)
    assert "Nothing waiting for you" in response.text
    assert "Check-ins due" not in response.text
    assert "To reflect" not in response.text


def test_post_to_home_is_refused(owner_client):
    assert owner_client.post(HOME).status_code == 405


def test_check_in_appears_from_its_due_date_until_answered(owner, owner_client):
    with time_machine.travel(DAY_0, tick=False) as traveller:
        loss = make_loss(owner, name="Globex expansion")
        assert "How do you feel about it now?" not in owner_client.get(HOME).text

        traveller.move_to(days_later(1))
        response = owner_client.get(HOME)
        first = loss.check_ins.get(due_on=datetime.date(2026, 3, 3))
        assert "Check-ins due" in response.text
        assert reverse("recovery:check_in_answer", args=[first.code]) in response.text
        assert reverse("recovery:check_in_dismiss", args=[first.code]) in response.text
        assert "How do you feel about it now?" in response.text

        services.check_in_answer(check_in=first, mood=2)
        response = owner_client.get(HOME)
        assert reverse("recovery:check_in_answer", args=[first.code]) not in response.text
        assert "Check-ins due" not in response.text

        traveller.move_to(days_later(3))
        third = loss.check_ins.get(due_on=datetime.date(2026, 3, 5))
        assert reverse("recovery:check_in_answer", args=[third.code]) in owner_client.get(HOME).text


def test_dismissed_check_in_leaves_home(owner, owner_client):
    with time_machine.travel(DAY_0, tick=False) as traveller:
        loss = make_loss(owner, name="Globex expansion")
        traveller.move_to(days_later(1))
        check_in = loss.check_ins.get(due_on=datetime.date(2026, 3, 3))
        response = owner_client.post(
            reverse("recovery:check_in_dismiss", args=[check_in.code]), {"next": HOME}
        )
        assert response.status_code == 302
        assert reverse("recovery:check_in_answer", args=[check_in.code]) not in owner_client.get(HOME).text


def test_prompts_of_a_moved_on_loss_do_not_appear(owner, owner_client):
    with time_machine.travel(DAY_0, tick=False) as traveller:
        kept = make_loss(owner, name="Still on my mind")
        gone = make_loss(owner, name="Already let go")
        services.lost_deal_move_on(deal=gone)
        traveller.move_to(days_later(8))
        response = owner_client.get(HOME)
    assert "Still on my mind" in response.text
    assert "Already let go" not in response.text
    for check_in in gone.check_ins.all():
        assert str(check_in.code) not in response.text
    assert all(str(c.code) in response.text for c in kept.check_ins.all())


def test_another_reps_check_ins_and_reflections_never_show(owner, outsider_client):
    with time_machine.travel(DAY_0, tick=False) as traveller:
        make_loss(owner, name="Olivia's private loss")
        traveller.move_to(days_later(8))
        response = outsider_client.get(HOME)
    assert response.status_code == 200
    assert "Olivia&#x27;s private loss" not in response.text
    assert "Nothing waiting for you" in response.text


def test_inline_check_in_forms_have_their_own_ids_and_come_back_home(owner, owner_client):
    with time_machine.travel(DAY_0, tick=False) as traveller:
        make_loss(owner, name="First")
        make_loss(owner, name="Second")
        traveller.move_to(days_later(1))
        response = owner_client.get(HOME)
    codes = list(CheckIn.objects.filter(due_on=datetime.date(2026, 3, 3)).values_list("code", flat=True))
    assert len(codes) == 2
    for code in codes:
        assert f'id="check-in-{code}-mood_0"' in response.text
        assert f'for="check-in-{code}-note"' in response.text
    assert response.text.count('id="id_mood_0"') == 0
    assert response.text.count(f'name="next" value="{HOME}"') == 4  # answer and dismiss, twice


def test_to_reflect_lists_unfinished_reflections_and_marks_half_finished(owner, owner_client):
    untouched = make_loss(owner, name="Untouched loss")
    started = make_loss(owner, name="Started loss")
    finished = make_loss(owner, name="Finished loss")
    save_reflection(started, emotions=["sad"])
    save_reflection(finished, emotions=["sad"], mood=3, lesson="Qualify budget earlier", finish=True)
    text = owner_client.get(HOME).text
    assert reverse("recovery:reflection_edit", args=[untouched.code]) in text
    assert reverse("recovery:reflection_edit", args=[started.code]) in text
    assert reverse("recovery:reflection_edit", args=[finished.code]) not in text
    started_item = text.split("Reflect on Started loss")[1].split("</li>")[0]
    untouched_item = text.split("Reflect on Untouched loss")[1].split("</li>")[0]
    assert "Half-finished reflection" in started_item
    assert "Half-finished reflection" not in untouched_item


def test_to_reflect_stops_at_ten_and_links_to_the_filtered_list(owner, owner_client):
    for i in range(11):
        make_loss(owner, name=f"Loss {i:02}", days_ago=i)
    text = owner_client.get(HOME).text
    assert text.count("Reflect on Loss") == 10
    assert "Reflect on Loss 10" not in text  # the oldest
    assert f'href="{reverse("recovery:loss_list")}?finished=no"' in text


def test_ten_unfinished_reflections_need_no_see_all_link(owner, owner_client):
    for i in range(10):
        make_loss(owner, name=f"Loss {i:02}", days_ago=i)
    text = owner_client.get(HOME).text
    assert text.count("Reflect on Loss") == 10
    assert "?finished=no" not in text


@pytest.mark.parametrize("how_many", [3, 50])
def test_home_runs_a_fixed_number_of_queries(owner, owner_client, django_assert_num_queries, how_many):
    with time_machine.travel(DAY_0, tick=False) as traveller:
        for i in range(how_many):
            make_loss(owner, name=f"Loss {i}")
        traveller.move_to(days_later(8))
        assert (
            CheckIn.objects.filter(deal__owner=owner, due_on__lte=timezone.localdate()).count()
            == 3 * how_many
        )
        # Session, user, due check-ins, unfinished reflections, invitations waiting for an answer.
        with django_assert_num_queries(5 + HEADER_QUERIES):
            response = owner_client.get(HOME)
    assert response.status_code == 200
    assert "Check-ins due" in response.text


@pytest.mark.parametrize("debug", [False, True])
def test_inline_check_in_fields_are_those_of_the_real_form(settings, debug):
    """Home writes the fields of an empty check-in form once per process, then gives each its ids:
    the markup must stay what the form, its widgets and _form_field.html render."""
    from django.template.loader import render_to_string
    from django.test.html import parse_html

    from recovery.forms import CheckInForm
    from recovery.views.rendering import blank_check_in_fields

    settings.DEBUG = debug
    form = CheckInForm(auto_id="check-in-abc-%s")
    real = render_to_string("recovery/_check_in_fields.html", {"form": form})
    assert parse_html(blank_check_in_fields("check-in-abc-")) == parse_html(real)
    assert 'id="check-in-abc-mood_0"' in blank_check_in_fields("check-in-abc-")


def test_home_shows_ten_check_ins_and_counts_the_others(owner, owner_client):
    with time_machine.travel(DAY_0, tick=False) as traveller:
        for i in range(4):
            make_loss(owner, name=f"Loss {i}")
        traveller.move_to(days_later(8))
        response = owner_client.get(HOME)
    assert response.text.count('class="card stack stack--tight check-in-card"') == 10
    assert "2 more check-ins waiting." in response.text
