"""The links of the signed-in header (primary navigation and account menu), for base.html.

Every signed-in page shows the same fourteen links; reversing them on each request was a
good part of the header's cost. They are reversed once per process and script prefix
(reverse() gives the same answer for both), then read as plain variables.
"""

import functools

from django.core.signals import setting_changed
from django.urls import get_script_prefix, reverse

HEADER_LINKS = {
    "home": "home",
    "loss_create": "recovery:loss_create",
    "loss_list": "recovery:loss_list",
    "my_recovery": "recovery:my_recovery",
    "feed": "teams:feed",
    "notifications": "teams:notifications",
    "team_list": "teams:team_list",
    "profile": "teams:profile",
    "trusted_colleagues": "teams:trusted_colleagues",
    "my_data": "recovery:my_data",
    "account_email": "account_email",
    "account_change_password": "account_change_password",
    "mfa_index": "mfa_index",
    "account_logout": "account_logout",
}


@functools.cache
def _header_links(script_prefix: str) -> dict[str, str]:
    return {key: reverse(name) for key, name in HEADER_LINKS.items()}


def header_links(request):
    return {"header_links": _header_links(get_script_prefix())}


def _forget_links(*, setting, **kwargs):
    # Tests that swap the URLconf get links reversed with the new one.
    if setting == "ROOT_URLCONF":
        _header_links.cache_clear()


setting_changed.connect(_forget_links, dispatch_uid="recovery.header_links.forget")
