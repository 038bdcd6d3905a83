"""The signed-in header's links, reversed once per process, are the pages' addresses."""

from django.urls import reverse

from recovery.context_processors import HEADER_LINKS


def test_every_header_link_is_shown_with_its_address(owner_client):
    text = owner_client.get(reverse("recovery:loss_list")).text
    for name in HEADER_LINKS.values():
        assert f'="{reverse(name)}"' in text
    assert f'<a href="{reverse("recovery:loss_list")}" aria-current="page">My losses</a>' in text


def test_links_follow_a_new_script_prefix(owner_client):
    from django.urls import set_script_prefix

    from recovery.context_processors import _header_links

    try:
        set_script_prefix("/rebound/")
        links = _header_links("/rebound/")
        assert links["loss_list"] == "/rebound/losses/"
    finally:
        set_script_prefix("/")
    assert _header_links("/")["loss_list"] == "/losses/"
