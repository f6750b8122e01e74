"""Start the Hearth window."""
from __future__ import annotations

import sys


def run(argv: list[str] | None = None) -> int:
    from PySide6.QtWidgets import QApplication, QLabel, QMainWindow

    app = QApplication.instance() or QApplication(argv if argv is not None else sys.argv)
    app.setApplicationName("Hearth")
    window = QMainWindow()
    window.setWindowTitle("Hearth")
    window.setCentralWidget(QLabel("Hearth"))
    window.resize(1100, 720)
    window.show()
    return app.exec()
