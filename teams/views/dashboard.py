"""The managers' morale dashboard and its CSV: how a team is recovering, not a league table.

Only a team's managers see it (teams.access.get_team_for_manager: 404 for anyone else). Every
number comes from teams.morale.build_dashboard, which withholds the figures built from private
data where fewer than MORALE_MIN_GROUP people contributed: a hidden cell has no value, so the
page, the chart, the CSV and the digest can only say that it is hidden.
"""

import csv
import datetime
import html
from dataclasses import dataclass

from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.safestring import SafeString, mark_safe
from django.utils.text import slugify
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

from recovery import charts
from teams import access, morale
from teams.morale_text import csv_text, range_label, value_text, week_label

# Bars for counts; a line for means, medians and shares.
BAR_FIGURES = {"losses", "support"}
# Fixed scales where the figure has one: the mood scale, and percentages.
SCALES = {"mood": (1, 5), "share_rate": (0, 100), "not_personal": (0, 100)}
CSV_UNITS = {
    "mood": "1 to 5",
    "share_rate": "%",
    "first_support": "hours",
    "recovery": "days",
    "not_personal": "%",
}


# ---------------------------------------------------------------- the page's blocks


@dataclass(frozen=True)
class Row:
    week: datetime.date
    label: str
    text: str
    hidden: bool

    @property
    def iso(self) -> str:
        return self.week.isoformat()

    @property
    def cells(self) -> tuple["Row"]:
        """A figure's row has one cell: itself (a currency row has one per currency)."""
        return (self,)


@dataclass
class FigureBlock:
    figure: morale.Figure
    rows: list[Row]
    total: Row
    chart: charts.SeriesChart

    @property
    def table_rows(self) -> SafeString:
        return table_rows(self.rows)

    @property
    def chart_marks(self) -> SafeString:
        return chart_marks(self.chart)


@dataclass
class CurrencyRow:
    week: datetime.date
    label: str
    cells: list[Row]

    @property
    def iso(self) -> str:
        return self.week.isoformat()


# ---------------------------------------------------------------- markup made once per page
#
# A 52-week page has 7 tables and 7 charts of 52 slots: drawn cell by cell in the template language
# (or even with format_html), they took most of the page's render time. Their rows and marks are
# written here instead, the same markup as the templates wrote. Every text goes through _escape();
# the rest are numbers computed here (recovery.charts) and the fixed class names below: that is
# what makes the mark_safe calls safe.

_CELL_CLASS = {False: "num", True: "num cell-hidden"}


def _escape(value) -> str:
    """What django.utils.html.escape does (html.escape of the text), without its lazy-string wrapper."""
    return html.escape(str(value))


def table_rows(rows) -> SafeString:
    """A table's body rows: the week (a <time>) as the row's header, then its cells."""
    return mark_safe(  # noqa: S308 - every text escaped, see above
        "\n".join(
            f'<tr><th scope="row"><time datetime="{row.iso}">{_escape(row.label)}</time></th>'
            + "".join(f'<td class="{_CELL_CLASS[c.hidden]}">{_escape(c.text)}</td>' for c in row.cells)
            + "</tr>"
            for row in rows
        )
    )


def chart_marks(chart: charts.SeriesChart) -> SafeString:
    """What a series chart draws (the grid and its names aside): withheld weeks, bars or a line, labels."""
    top, plot_height, label_y = chart.top, chart.plot_height, chart.label_y
    marks = [
        f'<rect class="chart__withheld" x="{slot.x}" y="{top}" width="{slot.width}" height="{plot_height}" '
        f'fill="currentColor"><title>{_escape(slot.text)}</title></rect>'
        for slot in chart.withheld
    ]
    for bar in chart.bars:
        marks.append(
            f'<rect class="chart__bar" x="{bar.x}" y="{bar.y}" width="{bar.width}" height="{bar.height}" '
            f'fill="currentColor"><title>{_escape(bar.label)}</title></rect>'
        )
        if chart.show_values and bar.value:
            marks.append(
                f'<text class="chart__value" x="{bar.center}" y="{bar.value_y}" text-anchor="middle">'
                f"{_escape(bar.value)}</text>"
            )
    marks += [
        f'<polyline class="chart__line" points="{segment}" fill="none" stroke="currentColor" '
        f'stroke-width="3" stroke-linejoin="round"/>'
        for segment in chart.segments
    ]
    marks += [
        f'<circle class="chart__dot" cx="{point.x}" cy="{point.y}" r="5" fill="currentColor">'
        f"<title>{_escape(point.label)}</title></circle>"
        for point in chart.points
    ]
    marks += [
        f'<text class="chart__label" x="{slot.center}" y="{label_y}" text-anchor="middle">'
        f"{_escape(slot.label)}</text>"
        for slot in chart.slots
        if slot.show_label
    ]
    return mark_safe("\n".join(marks))  # noqa: S308 - every text escaped, see above


def _rows(weeks, cells, unit) -> list[Row]:
    return [
        Row(week=w, label=week_label(w), text=value_text(c, unit), hidden=c.hidden)
        for w, c in zip(weeks, cells, strict=True)
    ]


def _total_row(weeks, cell, unit) -> Row:
    return Row(
        week=weeks[0], label=f"All {len(weeks)} weeks", text=value_text(cell, unit), hidden=cell.hidden
    )


def figure_blocks(board: morale.Dashboard) -> list[FigureBlock]:
    blocks = []
    weeks_text = range_label(board.weeks)
    for figure in morale.FIGURES:
        series = board.series[figure.key]
        rows = _rows(board.weeks, series.cells, figure.unit)
        y_min, y_max = SCALES.get(figure.key, (0, None))
        chart = charts.series_chart(
            [
                charts.Datum(
                    label=row.label,
                    value=cell.value,
                    text=f"Week of {row.label}: {row.text}",
                    withheld=cell.hidden,
                )
                for row, cell in zip(rows, series.cells, strict=True)
            ],
            kind="bar" if figure.key in BAR_FIGURES else "line",
            id=f"chart-{figure.key}",
            title=f"{figure.label}, week by week",
            description=(
                f"{figure.label} for {weeks_text}."
                + (" Weeks hidden to keep answers anonymous are left out." if figure.private else "")
                + " The numbers are in the table beside it."
            ),
            y_min=y_min,
            y_max=y_max,
        )
        blocks.append(FigureBlock(figure, rows, _total_row(board.weeks, series.total, figure.unit), chart))
    return blocks


def currency_rows(board: morale.Dashboard) -> tuple[list[CurrencyRow], CurrencyRow | None]:
    if not board.currencies:
        return [], None
    rows = [
        CurrencyRow(
            week=w,
            label=week_label(w),
            cells=[_rows([w], [c.cells[i]], "")[0] for c in board.currencies],
        )
        for i, w in enumerate(board.weeks)
    ]
    total = CurrencyRow(
        week=board.weeks[0],
        label=f"All {len(board.weeks)} weeks",
        cells=[_total_row(board.weeks, c.total, "") for c in board.currencies],
    )
    return rows, total


def chosen_range(request) -> int:
    try:
        weeks = int(request.GET.get("weeks", morale.DEFAULT_RANGE))
    except ValueError:
        return morale.DEFAULT_RANGE
    return weeks if weeks in morale.RANGES else morale.DEFAULT_RANGE


def dashboard_context(board: morale.Dashboard, now: datetime.datetime | None = None) -> dict:
    amounts, amounts_total = currency_rows(board)
    return {
        "team": board.team,
        "board": board,
        "weeks": len(board.weeks),
        "ranges": morale.RANGES,
        "range_label": range_label(board.weeks),
        "blocks": figure_blocks(board),
        "amounts": amounts,
        "amounts_rows": table_rows(amounts),
        "amounts_total": amounts_total,
        "min_group": board.min_group,
        "hidden_text": morale.hidden_text(),
        "now": now or timezone.now(),
    }


# ---------------------------------------------------------------- views


@login_required
@require_safe
def dashboard(request, code):
    team = access.get_team_for_manager(request.user, code)
    board = morale.build_dashboard(team, chosen_range(request), viewer=request.user)
    return render(request, "teams/dashboard.html", dashboard_context(board))


def csv_header(board: morale.Dashboard) -> list[str]:
    header = ["Week starting", "ISO week"]
    for figure in morale.FIGURES:
        unit = CSV_UNITS.get(figure.key)
        header.append(f"{figure.label} ({unit})" if unit else figure.label)
    header += [f"Amount lost ({c.currency})" for c in board.currencies]
    return header


def csv_rows(board: morale.Dashboard) -> list[list[str]]:
    rows = []
    for i, monday in enumerate(board.weeks):
        year, week, _ = monday.isocalendar()
        row = [monday.isoformat(), f"{year}-W{week:02d}"]
        row += [csv_text(board.series[f.key].cells[i]) for f in morale.FIGURES]
        row += [csv_text(c.cells[i]) for c in board.currencies]
        rows.append(row)
    first, last = board.weeks[0].isocalendar(), board.weeks[-1].isocalendar()
    total = ["Range", f"{first.year}-W{first.week:02d} to {last.year}-W{last.week:02d}"]
    total += [csv_text(board.series[f.key].total) for f in morale.FIGURES]
    total += [csv_text(c.total) for c in board.currencies]
    rows.append(total)
    return rows


@never_cache
@login_required
@require_safe
def dashboard_csv(request, code):
    team = access.get_team_for_manager(request.user, code)
    weeks = chosen_range(request)
    board = morale.build_dashboard(team, weeks, viewer=request.user)
    filename = (
        f"rebound-morale-{slugify(team.name) or 'team'}-{weeks}-weeks-{timezone.localdate():%Y-%m-%d}.csv"
    )
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    # A byte-order mark, so that spreadsheet programs read the accents right.
    response.write("\ufeff")
    writer = csv.writer(response)
    writer.writerow(csv_header(board))
    writer.writerows(csv_rows(board))
    return response
