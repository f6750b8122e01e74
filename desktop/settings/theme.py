"""The look of the whole application: theme (system / light / dark) and font size, applied live.

A chosen light or dark theme uses Qt's Fusion style with an explicit palette,
because the native styles of Windows and macOS ignore a custom palette; the
system theme puts back the style, palette and font the application started
with. Every widget follows at once (Qt sends them a PaletteChange / FontChange),
and the style sheet in :mod:`desktop.app` reads palette roles, so it follows too.
"""
from __future__ import annotations

from PySide6.QtGui import QColor, QFont, QGuiApplication, QPalette
from PySide6.QtWidgets import QApplication

MIN_FONT, MAX_FONT = 8, 28   # points: beyond these the window's layouts stop working


class _Start:
    """What the application looked like before Hearth changed it (read once, on first use)."""

    style: str | None = None
    palette: QPalette | None = None
    font: QFont | None = None


def _remember(app: QApplication) -> None:
    if _Start.style is None:
        _Start.style = app.style().name()
        _Start.palette = QPalette(app.palette())
        _Start.font = QFont(app.font())


def dark_palette() -> QPalette:
    """A dark palette for every role the window uses (text, bases, buttons, links, disabled text)."""
    p = QPalette()
    window, base, text = QColor(37, 37, 38), QColor(30, 30, 30), QColor(230, 230, 230)
    disabled = QColor(128, 128, 128)
    roles = {
        QPalette.ColorRole.Window: window, QPalette.ColorRole.WindowText: text,
        QPalette.ColorRole.Base: base, QPalette.ColorRole.AlternateBase: QColor(50, 50, 52),
        QPalette.ColorRole.Text: text, QPalette.ColorRole.Button: QColor(55, 55, 57),
        QPalette.ColorRole.ButtonText: text, QPalette.ColorRole.BrightText: QColor(255, 90, 90),
        QPalette.ColorRole.ToolTipBase: QColor(60, 60, 62), QPalette.ColorRole.ToolTipText: text,
        QPalette.ColorRole.Highlight: QColor(42, 130, 218), QPalette.ColorRole.HighlightedText: QColor(255, 255, 255),
        QPalette.ColorRole.Link: QColor(110, 170, 255), QPalette.ColorRole.LinkVisited: QColor(180, 140, 255),
        QPalette.ColorRole.PlaceholderText: disabled, QPalette.ColorRole.Mid: QColor(150, 150, 150),
        QPalette.ColorRole.Light: QColor(75, 75, 78), QPalette.ColorRole.Midlight: QColor(62, 62, 65),
        QPalette.ColorRole.Dark: QColor(20, 20, 20), QPalette.ColorRole.Shadow: QColor(0, 0, 0),
    }
    for role, color in roles.items():
        p.setColor(role, color)
    for role in (QPalette.ColorRole.Text, QPalette.ColorRole.WindowText, QPalette.ColorRole.ButtonText):
        p.setColor(QPalette.ColorGroup.Disabled, role, disabled)
    return p


def light_palette() -> QPalette:
    """Fusion's own light palette (whatever style is in use, and whatever the system's colours)."""
    from PySide6.QtWidgets import QStyleFactory
    fusion = QStyleFactory.create("Fusion")
    return fusion.standardPalette()


def apply_theme(app: QApplication, theme: str) -> None:
    """Switch the whole application to ``theme`` ("system", "light" or "dark") now."""
    _remember(app)
    if theme in ("light", "dark"):
        if app.style().name().lower() != "fusion":
            app.setStyle("Fusion")
        app.setPalette(dark_palette() if theme == "dark" else light_palette())
        return
    if _Start.style and app.style().name() != _Start.style:
        app.setStyle(_Start.style)
    if _Start.palette is not None:
        app.setPalette(_Start.palette)


def is_dark(palette: QPalette) -> bool:
    """Whether text is lighter than the window behind it."""
    return palette.color(QPalette.ColorRole.WindowText).lightness() > palette.color(QPalette.ColorRole.Window).lightness()


def system_font_size() -> int:
    """The point size the application started with."""
    font = _Start.font or QGuiApplication.font()
    return font.pointSize() if font.pointSize() > 0 else 10


def apply_font_size(app: QApplication, points: int | None) -> None:
    """Set the interface font's size (None: the system's) for every widget now."""
    _remember(app)
    font = QFont(_Start.font or app.font())
    if points is not None:
        font.setPointSize(max(MIN_FONT, min(MAX_FONT, points)))
    app.setFont(font)
