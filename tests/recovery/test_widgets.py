"""The widgets that write Django's markup in Python render exactly what Django's templates do."""

import datetime

import pytest
from django import forms

from recovery.forms import DateInput, LossFilterForm, Select

CHOICES = [
    ("", "Any"),
    ("a", "Plain"),
    ("b&c", "Needs <escaping> & “quotes”"),
    ("Group", [("g1", "In a group"), ("g2", "Also")]),
]


ATTRS = {"id": "id_x", "required": True, "disabled": False, "data-x": 'a"b'}


@pytest.mark.parametrize("value", [None, "", "a", "b&c", "g2", "unknown"])
@pytest.mark.parametrize("attrs", [None, ATTRS])
def test_select_renders_as_djangos(value, attrs):
    ours = Select(choices=CHOICES).render("x<y", value, attrs=attrs)
    django = forms.Select(choices=CHOICES).render("x<y", value, attrs=attrs)
    assert ours == django


@pytest.mark.parametrize("value", [None, "", datetime.date(2026, 3, 2), "2026-13-01", '"><b>'])
def test_date_input_renders_as_djangos(value):
    attrs = {"type": "date", "aria-invalid": "true"}
    ours = DateInput(attrs=attrs).render("date_from", value, attrs={"id": "id_date_from"})
    django = forms.DateInput(attrs=attrs).render("date_from", value, attrs={"id": "id_date_from"})
    assert ours == django


@pytest.mark.django_db
@pytest.mark.parametrize(
    "data", [None, {"stage": "proposal"}, {"reason": "price-budget", "date_from": "2026-13-01", "order": "x"}]
)
def test_the_filter_form_renders_as_with_djangos_widgets(data):
    ours = LossFilterForm(data)
    theirs = LossFilterForm(data)
    for field in theirs.fields.values():
        field.widget.__class__ = field.widget.__class__.__mro__[2]  # Django's own Select/DateInput
        assert field.widget.__class__.__module__ == "django.forms.widgets"
    for name in ours.fields:
        assert str(ours[name]) == str(theirs[name])
