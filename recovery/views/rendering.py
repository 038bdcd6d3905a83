"""Cheap pieces for pages that repeat a row many times: URLs, pages and empty check-in forms.

Rendering dominates the cost of the rep's pages, so a row's links are worked out here once per
page (not with a `{% url %}` per row; dates: recovery/dates.py), and the markup of an empty
check-in form, the same for every form but for its ids, is rendered once per process through
the real form, widgets and _form_field.html, then given each form's ids.
"""

import functools
from collections.abc import Callable

from django.conf import settings
from django.core.paginator import Page, Paginator
from django.db.models import Count, QuerySet, Window
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.safestring import SafeString, mark_safe

from recovery.forms import CheckInForm

_CODE_MARKER = "00000000-0000-0000-0000-000000000000"


def code_url(viewname: str) -> Callable[[object], str]:
    """A function giving `reverse(viewname, kwargs={"code": code})`, reversing only once."""
    prefix, _, suffix = reverse(viewname, kwargs={"code": _CODE_MARKER}).partition(_CODE_MARKER)
    return lambda code: f"{prefix}{code}{suffix}"


# More rows than anyone has: a page past it is past the last page, and its offset could be more
# than the database takes (a 64-bit integer).
_MAX_OFFSET = 2**31


def counted_page(queryset: QuerySet, per_page: int, number) -> Page:
    """`Paginator(queryset, per_page).get_page(number)`, its rows and their total in one query.

    The total is a window count over every row of the queryset, computed before the LIMIT.
    Not a number means page 1, as with Django; a number Django would correct (below 1, past
    the last page) takes Django's own way, with its count query.
    """
    try:
        number = int(number)
    except (TypeError, ValueError):
        number = 1  # as Django does with a page "number" that isn't one
    start = (number - 1) * per_page
    if 0 <= start < _MAX_OFFSET:
        rows = list(queryset.annotate(_total_rows=Window(Count("pk")))[start : start + per_page])
        if rows or number == 1:
            paginator = Paginator(queryset, per_page)
            paginator.count = rows[0]._total_rows if rows else 0  # a cached_property, given here
            return Page(rows, number, paginator)
    return Paginator(queryset, per_page).get_page(number)


# Stands for the start of every id in the empty form's markup rendered once.
_ID_MARKER = "__check_in_auto_id__"


def _render_blank_check_in_fields() -> str:
    form = CheckInForm(auto_id=f"{_ID_MARKER}%s")
    return render_to_string("recovery/_check_in_fields.html", {"form": form})


@functools.cache
def _cached_blank_check_in_fields() -> str:
    return _render_blank_check_in_fields()


def blank_check_in_fields(id_prefix: str) -> SafeString:
    """The fields of an empty CheckInForm(auto_id=id_prefix + "%s"), as _check_in_form.html shows them.

    `id_prefix` is built by the caller from a UUID or a constant, never from user input. In
    development (DEBUG) the markup is rendered each time, so that template edits show at once.
    """
    markup = _render_blank_check_in_fields() if settings.DEBUG else _cached_blank_check_in_fields()
    return mark_safe(markup.replace(_ID_MARKER, id_prefix))  # noqa: S308 (our own markup and ids)
