"""Watch the collections' folders while the app runs, and say which collection changed.

A ``QFileSystemWatcher`` (GUI thread) watches every source folder and the
folders under it, and every source that is a single file. Changes are
debounced (2 s after the last one, at most 10 s after the first), then
``changed(name)`` asks for a re-index; the engine's scan is stat-based, so a
check that finds nothing new is cheap. Past ``limit`` folders, the first
``limit`` (the shallowest) are watched and those collections are also
rescanned every minute. Editing a file in place does not touch its folder,
so it is noticed by a file's own watch (single-file sources) or at the next
index.
"""
from __future__ import annotations

import os
import time
from typing import Iterable, Iterator

from PySide6.QtCore import QFileSystemWatcher, QObject, QTimer, Signal

DEBOUNCE_MS = 2000
MAX_WAIT_S = 10.0
RESCAN_MS = 60_000


class FolderWatcher(QObject):
    """Emits ``changed(collection name)`` when something under its folders changed."""

    changed = Signal(str)

    def __init__(self, *, limit: int = 2000, debounce_ms: int = DEBOUNCE_MS, rescan_ms: int = RESCAN_MS,
                 parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.limit = limit
        self._watcher = QFileSystemWatcher(self)
        self._watcher.directoryChanged.connect(self._touched)
        self._watcher.fileChanged.connect(self._touched)
        self._owners: dict[str, set[str]] = {}
        self._pending: set[str] = set()
        self._first_pending = 0.0
        self.overflowing: set[str] = set()   # collections with more folders than are watched
        self._debounce = QTimer(self)
        self._debounce.setSingleShot(True)
        self._debounce.setInterval(debounce_ms)
        self._debounce.timeout.connect(self._fire)
        self._rescan = QTimer(self)
        self._rescan.setInterval(rescan_ms)
        self._rescan.timeout.connect(self._rescan_all)

    def set_folders(self, folders: dict[str, list[str]]) -> None:
        """Watch exactly these folders and files (by collection); replaces the earlier set."""
        owners: dict[str, set[str]] = {}
        for name, items in folders.items():
            for path in items:
                owners.setdefault(path, set()).add(name)
        wanted = sorted(owners, key=lambda p: (p.count("/") + p.count("\\"), p))
        self.overflowing = {name for name, items in folders.items() if len(items) > self.limit}
        if len(wanted) > self.limit:
            dropped = wanted[self.limit:]
            self.overflowing |= {name for path in dropped for name in owners[path]}
            wanted = wanted[:self.limit]
        self._owners = {path: owners[path] for path in wanted}
        have = set(self._watcher.directories()) | set(self._watcher.files())
        gone = sorted(have - set(wanted))
        if gone:
            self._watcher.removePaths(gone)
        new = [p for p in wanted if p not in have]
        if new:
            self._watcher.addPaths(new)  # paths that vanished meanwhile are refused quietly
        if self.overflowing and not self._rescan.isActive():
            self._rescan.start()
        elif not self.overflowing:
            self._rescan.stop()

    def watched(self) -> list[str]:
        return sorted(set(self._watcher.directories()) | set(self._watcher.files()))

    def _touched(self, path: str) -> None:
        names = self._owners.get(path)
        if not names:
            return
        if not self._pending:
            self._first_pending = time.monotonic()
        self._pending |= names
        if time.monotonic() - self._first_pending >= MAX_WAIT_S:
            self._fire()
        else:
            self._debounce.start()

    def _fire(self) -> None:
        self._debounce.stop()
        names, self._pending = sorted(self._pending), set()
        for name in names:
            self.changed.emit(name)

    def _rescan_all(self) -> None:
        for name in sorted(self.overflowing):
            self.changed.emit(name)

    def stop(self) -> None:
        self._debounce.stop()
        self._rescan.stop()
        self._pending.clear()
        paths = self.watched()
        if paths:
            self._watcher.removePaths(paths)
        self._owners = {}


def watched_folders(sources: Iterable[str], limit: int) -> Iterator[str]:
    """The sources and the folders under them that indexing visits (at most ``limit``)."""
    from engine.knowledge.scan import SKIPPED_DIRS
    count = 0
    for source in sources:
        stack = [source]
        while stack and count < limit:
            folder = stack.pop()
            count += 1
            yield folder
            if not os.path.isdir(folder):
                continue
            try:
                entries = sorted(os.scandir(folder), key=lambda e: e.name)
            except OSError:
                continue
            stack.extend(e.path for e in reversed(entries)
                         if not e.name.startswith(".") and e.name not in SKIPPED_DIRS and _is_dir(e))


def _is_dir(entry: os.DirEntry[str]) -> bool:
    try:
        return entry.is_dir(follow_symlinks=False)
    except OSError:
        return False
