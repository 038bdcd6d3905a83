"""counted_page gives the page Django's paginator gives, with the count from the page's own query."""

import pytest
from django.core.paginator import Paginator

from recovery.models import LostDeal
from recovery.views.rendering import counted_page
from tests.conftest import make_loss


@pytest.mark.parametrize("losses", [0, 1, 5, 6, 11])
@pytest.mark.parametrize("number", [None, "", "1", "2", "3", "4", "0", "-1", "abc", "2.0", "99"])
def test_counted_page_is_djangos_page(owner, losses, number):
    for i in range(losses):
        make_loss(owner, name=f"Loss {i:02}", days_ago=i)
    queryset = LostDeal.objects.filter(owner=owner).order_by("-lost_on")
    ours = counted_page(queryset, 5, number)
    django = Paginator(queryset, 5).get_page(number)
    assert ours.number == django.number
    assert ours.paginator.count == django.paginator.count
    assert ours.paginator.num_pages == django.paginator.num_pages
    assert [deal.pk for deal in ours] == [deal.pk for deal in django]
    assert (ours.has_previous(), ours.has_next()) == (django.has_previous(), django.has_next())


def test_a_page_and_its_total_take_one_query(owner, django_assert_num_queries):
    for i in range(7):
        make_loss(owner, name=f"Loss {i}", days_ago=i)
    with django_assert_num_queries(1):
        page = counted_page(LostDeal.objects.filter(owner=owner).order_by("-lost_on"), 5, "2")
        assert (len(page), page.paginator.count, page.paginator.num_pages) == (2, 7, 2)


@pytest.mark.parametrize("number", ["9223372036854775820", str(10**30)])
def test_a_page_number_too_big_for_the_database_gives_the_last_page(owner, number):
    for i in range(6):
        make_loss(owner, name=f"Loss {i}", days_ago=i)
    page = counted_page(LostDeal.objects.filter(owner=owner).order_by("-lost_on"), 5, number)
    assert (page.number, len(page)) == (2, 1)
