"""The context meter: segments add up, texts for dropped turns and overflow, and real painting."""
from __future__ import annotations

from typing import Any

import pytest
from PySide6.QtGui import QColor

from desktop.main.context_meter import COLORS, WARNING, ContextMeter, segment_widths
from engine.chat.meter import Budget


def make_budget(**fields: Any) -> Budget:
    values: dict[str, Any] = dict(n_ctx=4096, system=100, history=1500, attachments=0, knowledge=0, draft=60,
                                  reserve=1024, dropped_ids=(), over=False)
    values.update(fields)
    return Budget(**values)


@pytest.fixture
def meter(qtbot: Any) -> ContextMeter:
    widget = ContextMeter()
    qtbot.addWidget(widget)
    return widget


def test_segments_add_up_to_the_window(meter: ContextMeter) -> None:
    meter.set_budget(make_budget(attachments=200, knowledge=300))
    segments = meter.segments()
    assert [key for key, _ in segments] == ["system", "history", "attachments", "knowledge", "draft", "reserve", "free"]
    assert dict(segments) == dict(system=100, history=1500, attachments=200, knowledge=300, draft=60,
                                  reserve=1024, free=4096 - 3184)
    assert sum(tokens for _, tokens in segments) == 4096
    assert meter.summary_text() == "2,160 / 4,096 tokens"
    tip = meter.toolTip()
    assert "1,500" in tip and "1,024" in tip and "912" in tip


def test_dropped_turns_are_announced(meter: ContextMeter) -> None:
    meter.set_budget(make_budget(dropped_ids=(3, 4)))
    assert meter.summary_text().startswith("1,660 / 4,096 tokens · ")
    assert "2 older message" in meter.summary_text() and "left out" in meter.summary_text()
    meter.set_budget(make_budget())
    assert "left out" not in meter.summary_text()


def test_over_warns_and_free_is_never_negative(meter: ContextMeter, qtbot: Any) -> None:
    meter.set_budget(make_budget(history=0, draft=5000, over=True))
    assert dict(meter.segments())["free"] == 0
    assert "Too long for the context" in meter.summary_text()
    assert "5,100 / 4,096 tokens" in meter.summary_text()
    meter.resize(400, meter.sizeHint().height())
    meter.show()
    qtbot.waitExposed(meter)
    image = meter.grab().toImage()
    rects = dict(meter.segment_rects())
    assert rects["free"].width() == 0
    assert image.pixelColor(0, rects["draft"].center().y()) == WARNING   # the warning frame
    assert image.pixelColor(rects["draft"].center()) == COLORS["draft"]


def test_no_model_is_a_neutral_empty_bar(meter: ContextMeter) -> None:
    meter.set_budget(make_budget())
    meter.set_budget(None)
    assert meter.segments() == []
    assert meter.summary_text() == "No model loaded"


def test_history_segment_is_painted_in_its_colour(meter: ContextMeter, qtbot: Any) -> None:
    meter.set_budget(make_budget(system=400, history=2000, draft=1, reserve=1000))
    meter.resize(500, meter.sizeHint().height())
    meter.show()
    qtbot.waitExposed(meter)
    image = meter.grab().toImage()
    rects = dict(meter.segment_rects())
    history = rects["history"]
    assert abs(history.width() - 500 * 2000 / 4096) < 3    # proportional (a pixel may go to the draft)
    assert image.pixelColor(history.center()) == COLORS["history"]
    assert image.pixelColor(rects["system"].center()) == COLORS["system"]
    assert rects["draft"].width() >= 2                              # 1 token still shows
    assert image.pixelColor(rects["draft"].center()) == COLORS["draft"]
    assert image.pixelColor(rects["free"].center()) == meter.color("free")
    below = history.bottom() + 2
    assert image.pixelColor(history.center().x(), below) != COLORS["history"]   # a thin bar, not a block


def test_segment_widths_keep_small_segments_visible() -> None:
    assert segment_widths([1, 10_000], 100) == [2, 98]
    assert segment_widths([0, 50, 50], 101) == [0, 50, 51] or segment_widths([0, 50, 50], 101) == [0, 51, 50]
    assert sum(segment_widths([7, 13, 29, 1, 0, 3], 333)) == 333
    assert segment_widths([0, 0], 100) == [0, 0]


def test_size_hint_is_thin(meter: ContextMeter) -> None:
    assert 14 <= meter.sizeHint().height() <= 32


def test_free_colour_differs_from_segments(meter: ContextMeter) -> None:
    free = meter.color("free")
    assert all(free != QColor(c) for c in COLORS.values())
