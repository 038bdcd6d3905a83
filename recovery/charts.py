"""Geometry for the small SVG charts drawn on the server (no JavaScript, no CDN).

Each function turns a few labelled numbers into coordinates in a fixed viewBox; the
templates `recovery/_chart_*.html` draw them. Coordinates are rounded to one decimal.
"""

import math
from dataclasses import dataclass, field

WIDTH = 640
HEIGHT = 260
MARGIN_LEFT = 40
MARGIN_RIGHT = 12
MARGIN_TOP = 20
MARGIN_BOTTOM = 32


def _r(value: float) -> float:
    return round(value, 1)


@dataclass(frozen=True)
class Tick:
    y: float
    label: str


@dataclass(frozen=True)
class Bar:
    label: str
    value: int
    x: float
    y: float
    width: float
    height: float
    center: float  # x of the bar's middle, for its labels
    value_y: float  # where the number above the bar sits


@dataclass(frozen=True)
class Point:
    label: str
    value: float | None
    x: float
    y: float | None  # None when there is no value to draw


@dataclass
class Chart:
    id: str
    title: str
    description: str
    width: int = WIDTH
    height: int = HEIGHT
    left: float = MARGIN_LEFT
    right: float = WIDTH - MARGIN_RIGHT
    top: float = MARGIN_TOP
    bottom: float = HEIGHT - MARGIN_BOTTOM
    label_y: float = HEIGHT - 10
    ticks: list[Tick] = field(default_factory=list)
    bars: list[Bar] = field(default_factory=list)
    points: list[Point] = field(default_factory=list)
    polyline: str = ""

    @property
    def tick_x(self) -> float:
        return self.left - 6

    @property
    def drawn_points(self) -> list[Point]:
        return [p for p in self.points if p.y is not None]


def _nice_step(top_value: int, max_ticks: int = 4) -> int:
    """A whole-number tick step so that 0..top_value takes at most `max_ticks` steps."""
    raw = max(1, math.ceil(top_value / max_ticks))
    magnitude = 10 ** (len(str(raw)) - 1)
    for nice in (1, 2, 5, 10):
        if raw <= nice * magnitude:
            return nice * magnitude
    return raw  # pragma: no cover - the loop always returns


def bar_chart(values: list[tuple[str, int]], *, id: str, title: str, description: str) -> Chart:
    """Vertical bars from 0, one per (label, whole number)."""
    chart = Chart(id=id, title=title, description=description)
    plot_height = chart.bottom - chart.top
    step = _nice_step(max((v for _, v in values), default=0))
    top_value = step * max(1, math.ceil(max((v for _, v in values), default=0) / step))
    chart.ticks = [
        Tick(y=_r(chart.bottom - plot_height * t / top_value), label=str(t))
        for t in range(0, top_value + 1, step)
    ]
    slot = (chart.right - chart.left) / max(1, len(values))
    bar_width = slot * 0.6
    for i, (label, value) in enumerate(values):
        height = plot_height * value / top_value
        x = chart.left + i * slot + (slot - bar_width) / 2
        chart.bars.append(
            Bar(
                label=label,
                value=value,
                x=_r(x),
                y=_r(chart.bottom - height),
                width=_r(bar_width),
                height=_r(height),
                center=_r(x + bar_width / 2),
                value_y=_r(chart.bottom - height - 5),
            )
        )
    return chart


def line_chart(
    values: list[tuple[str, float | None]],
    *,
    id: str,
    title: str,
    description: str,
    y_min: int = 1,
    y_max: int = 5,
) -> Chart:
    """A line through the points that have a value, on a fixed scale (the 1-5 mood scale)."""
    chart = Chart(id=id, title=title, description=description)
    plot_height = chart.bottom - chart.top

    def y_of(value: float) -> float:
        return _r(chart.bottom - plot_height * (value - y_min) / (y_max - y_min))

    chart.ticks = [Tick(y=y_of(t), label=str(t)) for t in range(y_min, y_max + 1)]
    slot = (chart.right - chart.left) / max(1, len(values))
    for i, (label, value) in enumerate(values):
        x = _r(chart.left + i * slot + slot / 2)
        chart.points.append(
            Point(label=label, value=value, x=x, y=y_of(value) if value is not None else None)
        )
    chart.polyline = " ".join(f"{p.x},{p.y}" for p in chart.drawn_points)
    return chart


@dataclass(frozen=True)
class ShareBar:
    id: str
    title: str
    description: str
    part_width: float
    rest_x: float
    rest_width: float
    width: int = WIDTH
    height: int = 40


def share_bar(part: int, total: int, *, id: str, title: str, description: str) -> ShareBar:
    """One horizontal bar split in two: `part` of `total`, then the rest."""
    part_width = _r(WIDTH * part / total) if total else 0.0
    return ShareBar(
        id=id,
        title=title,
        description=description,
        part_width=part_width,
        rest_x=part_width,
        rest_width=_r(WIDTH - part_width),
    )


# ---------------------------------------------------------------------------
# Weekly series with gaps (the team morale dashboard)


@dataclass(frozen=True)
class Datum:
    """One slot of a series chart. `value` None draws nothing; `withheld` marks the gap as withheld."""

    label: str
    value: float | None
    text: str = ""  # what a tooltip says about this slot, e.g. "16 Nov: 3.5 h"
    withheld: bool = False


@dataclass(frozen=True)
class Slot:
    label: str
    text: str
    x: float  # left edge of the slot
    width: float
    center: float
    show_label: bool


@dataclass
class SeriesChart(Chart):
    """A chart of one value per slot, bars or a line, where a slot without a value is a gap.

    `bars` and `points` hold only the slots that have a value; `segments` are the runs of
    consecutive points (a line never bridges a gap); `withheld` are the gaps to mark as withheld.
    """

    kind: str = "bar"
    slots: list[Slot] = field(default_factory=list)
    segments: list[str] = field(default_factory=list)
    withheld: list[Slot] = field(default_factory=list)
    show_values: bool = False

    @property
    def plot_height(self) -> float:
        return _r(self.bottom - self.top)

    @property
    def has_data(self) -> bool:
        """Something to draw: a bar, a point, or a week marked as withheld."""
        return bool(self.bars or self.points or self.withheld)


LABEL_ROOM = 52  # the width of a "16 Nov" label at the chart's font size, and a gap
VALUE_ROOM = 36


def _ticks_for(low: float, high: float, chart: Chart, step: float) -> list[Tick]:
    plot_height = chart.bottom - chart.top
    ticks, t = [], low
    while t <= high + 1e-9:
        y = _r(chart.bottom - plot_height * (t - low) / (high - low))
        ticks.append(Tick(y=y, label=f"{t:g}"))
        t += step
    return ticks


def series_chart(
    data: list[Datum],
    *,
    kind: str = "bar",
    id: str,
    title: str,
    description: str,
    y_min: float = 0,
    y_max: float | None = None,
) -> SeriesChart:
    """Bars from `y_min`, or a line, one slot per datum; without `y_max` the scale fits the data."""
    chart = SeriesChart(id=id, title=title, description=description, kind=kind)
    plot_height = chart.bottom - chart.top
    present = [d.value for d in data if d.value is not None]
    if y_max is None:
        step = _nice_step(math.ceil(max(present, default=0) - y_min))
        y_max = y_min + step * max(1, math.ceil((max(present, default=0) - y_min) / step))
    else:
        step = _nice_step(math.ceil(y_max - y_min))
    chart.ticks = _ticks_for(y_min, y_max, chart, step)

    def y_of(value: float) -> float:
        clamped = min(max(value, y_min), y_max)
        return _r(chart.bottom - plot_height * (clamped - y_min) / (y_max - y_min))

    count = max(1, len(data))
    slot_width = (chart.right - chart.left) / count
    every = max(1, math.ceil(LABEL_ROOM / slot_width))
    chart.show_values = kind == "bar" and slot_width >= VALUE_ROOM
    bar_width = slot_width * 0.6
    run: list[str] = []
    for i, datum in enumerate(data):
        x = chart.left + i * slot_width
        center = _r(x + slot_width / 2)
        slot = Slot(
            label=datum.label,
            text=datum.text,
            x=_r(x),
            width=_r(slot_width),
            center=center,
            # The newest slot always has its label; older ones as room allows.
            show_label=(len(data) - 1 - i) % every == 0,
        )
        chart.slots.append(slot)
        if datum.value is None:
            if datum.withheld:
                chart.withheld.append(slot)
            if len(run) > 1:
                chart.segments.append(" ".join(run))
            run = []
            continue
        y = y_of(datum.value)
        if kind == "bar":
            chart.bars.append(
                Bar(
                    label=datum.text or datum.label,
                    value=datum.value,
                    x=_r(x + (slot_width - bar_width) / 2),
                    y=y,
                    width=_r(bar_width),
                    height=_r(chart.bottom - y),
                    center=center,
                    value_y=_r(y - 5),
                )
            )
        else:
            chart.points.append(Point(label=datum.text or datum.label, value=datum.value, x=center, y=y))
            run.append(f"{center},{y}")
    if len(run) > 1:
        chart.segments.append(" ".join(run))
    return chart
