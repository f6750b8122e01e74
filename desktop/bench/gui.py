"""``hearth bench gui``: how responsive the window is, written as JSON.

Three figures, each against a baseline measured in the same run:

* start-up: seconds from process start to the first painted Hearth window
  (no model loaded), against a bare PySide6 window in a fresh process;
* event-loop stalls while a reply streams: a 2 ms precise timer on the GUI
  thread records the gaps between its ticks; the longest gaps are the
  stalls a user would feel. Measured while the real model streams (and its
  GUI-observed tokens/s against the worker's own decode rate), and while a
  scripted reply floods the window with Markdown and code at ~1,000 pieces/s;
* decode in the window against the engine's own: the same model, prompt and
  conversation settings streamed by the engine with no window (same process,
  its event loop not running), alternating with the window, ``ROUNDS`` each;
  the medians and their ratio (the target is >= 0.95).
"""
from __future__ import annotations

import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from engine import Piece, ReplyFinished, open_home
from engine.models.installed import import_model

PROBE_MS = 2
ROUNDS = 3
STORY = "Write a long story about a lighthouse keeper and a storm."
BARE_WINDOW = """
import sys
from PySide6.QtCore import QEvent, QObject, QTimer
from PySide6.QtWidgets import QApplication, QMainWindow
app = QApplication(sys.argv)
class Probe(QObject):
    done = False
    def eventFilter(self, obj, event):
        if event.type() == QEvent.Type.Paint and not self.done:
            self.done = True
            QTimer.singleShot(0, lambda: (print("painted", flush=True), app.quit()))
        return False
probe = Probe(); app.installEventFilter(probe)
window = QMainWindow(); window.resize(1180, 760); window.show()
app.exec()
"""


def _time_to_paint(command: list[str], env: dict[str, str]) -> float:
    start = time.perf_counter()
    proc = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    assert proc.stdout is not None
    for line in proc.stdout:
        if line.strip() == "painted":
            elapsed = time.perf_counter() - start
            proc.wait(timeout=30)
            return elapsed
    proc.wait(timeout=30)
    raise RuntimeError(f"{command} exited ({proc.returncode}) without painting a window")


def measure_startup(runs: int, model: Path | None) -> dict[str, Any]:
    """Median and worst start-up to first paint, Hearth and a bare window, alternating runs."""
    env = dict(os.environ)
    env.setdefault("QT_QPA_PLATFORM", "offscreen")
    hearth: list[float] = []
    bare: list[float] = []
    with tempfile.TemporaryDirectory(prefix="hearth-bench-") as home:
        env["HEARTH_HOME"] = home
        if model is not None:
            _seed_home(Path(home), model)
        for _ in range(runs):
            bare.append(_time_to_paint([sys.executable, "-c", BARE_WINDOW], env))
            hearth.append(_time_to_paint([sys.executable, "-m", "desktop.cli.main", "--quit-after-paint"], env))
    return {
        "runs": runs,
        "hearth_first_paint_s_median": round(statistics.median(hearth), 3),
        "hearth_first_paint_s_max": round(max(hearth), 3),
        "bare_qt_first_paint_s_median": round(statistics.median(bare), 3),
        "ratio_vs_bare_qt": round(statistics.median(hearth) / statistics.median(bare), 2),
        "home": "a model installed and 200 stored conversations" if model else "empty (first run)",
    }


def _seed_home(home: Path, model: Path) -> None:
    """A lived-in home: the model registered and 200 conversations of 10 messages."""
    os.environ["HEARTH_HOME"] = str(home)
    from desktop.prefs import Prefs
    hearth_home = open_home()
    prefs = Prefs(hearth_home.paths)
    with hearth_home.store() as store:
        import_model(store, model)
    prefs.default_model = str(model.resolve())
    prefs.sync()
    with hearth_home.store() as store:
        for c in range(200):
            conv = store.create_conversation(title=f"Conversation {c}")
            parent = None
            for m in range(10):
                parent = store.add_message(conv.id, "user" if m % 2 == 0 else "assistant",
                                           f"Message {m} of conversation {c}. " * 20, parent_id=parent).id


class StallProbe:
    """Records gaps between ticks of a precise timer on the GUI thread."""

    def __init__(self) -> None:
        from PySide6.QtCore import QCoreApplication, Qt, QTimer
        self.gaps: list[float] = []
        self._last = 0.0
        self._timer = QTimer(QCoreApplication.instance())
        self._timer.setTimerType(Qt.TimerType.PreciseTimer)
        self._timer.setInterval(PROBE_MS)
        self._timer.timeout.connect(self._tick)

    def start(self) -> None:
        self._last = time.perf_counter()
        self._timer.start()

    def stop(self) -> None:
        self._timer.stop()

    def _tick(self) -> None:
        now = time.perf_counter()
        self.gaps.append((now - self._last) * 1000)
        self._last = now

    def summary(self) -> dict[str, float]:
        gaps = sorted(self.gaps) or [0.0]
        return {"ticks": len(self.gaps), "gap_ms_p50": round(statistics.median(gaps), 2),
                "gap_ms_p99": round(gaps[min(len(gaps) - 1, int(len(gaps) * 0.99))], 2),
                "gap_ms_max": round(gaps[-1], 2), "timer_interval_ms": PROBE_MS}


def _stream_once(app: Any, prompt: str, timeout_s: float) -> dict[str, Any]:
    """Send ``prompt`` through the window and record stalls until the reply is complete."""
    from PySide6.QtCore import QEventLoop, QTimer
    window = app.window
    probe = StallProbe()
    arrivals: list[float] = []
    original = window.replies._on_event

    def on_event(item: Any) -> None:
        if isinstance(item.event, Piece):
            arrivals.append(time.perf_counter())
        original(item)
    window.replies._on_event = on_event
    # The app's own event loop runs the reply, as for a user: polling processEvents() here would take a core
    # from the model's worker on a small machine and understate the window's decode.
    loop = QEventLoop()
    window.replies.finished.connect(loop.quit)
    window.replies.failed.connect(loop.quit)
    limit = QTimer()
    limit.setSingleShot(True)
    limit.timeout.connect(loop.quit)
    limit.start(int(timeout_s * 1000))
    try:
        probe.start()
        cpu = time.process_time()
        window.composer.input.setPlainText(prompt)
        window.composer.send_button.click()
        loop.exec()
        cpu = time.process_time() - cpu
        probe.stop()
    finally:
        limit.stop()
        window.replies._on_event = original
        window.replies.finished.disconnect(loop.quit)
        window.replies.failed.disconnect(loop.quit)
    result = probe.summary()
    result["this_process_cpu_s"] = round(cpu, 3)   # the window's threads (the model runs in its own process)
    if len(arrivals) > 1:
        result["pieces"] = len(arrivals)
        result["gui_pieces_per_s"] = round((len(arrivals) - 1) / (arrivals[-1] - arrivals[0]), 1)
    return result


def _open(qapp: Any, model: Path, runtime: Any = None) -> Any:
    """The real app in the current home with ``model`` installed and loaded; replies greedy, up to 400 tokens."""
    from desktop.app import HearthApp
    from desktop.prefs import Prefs
    home = open_home()
    prefs = Prefs(home.paths)
    with home.store() as store:
        import_model(store, model)
    prefs.default_model = str(model.resolve())
    prefs.default_sampling = {"temperature": 0.0, "max_tokens": 400, "seed": 1}
    prefs.sync()
    app = HearthApp(home.paths, runtime=runtime)
    app.window.resize(1180, 760)
    app.window.show()
    deadline = time.monotonic() + 120
    while app.window.info is None and time.monotonic() < deadline:
        qapp.processEvents()
        time.sleep(0.005)
    return app


def _close(qapp: Any, app: Any) -> None:
    from PySide6.QtCore import QCoreApplication, QEvent
    app.window.close()
    app.shutdown()
    app.window.deleteLater()
    QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)
    qapp.processEvents()


def measure_streaming(model: Path) -> dict[str, Any]:
    from PySide6.QtWidgets import QApplication

    from engine.runtime.scripted import ScriptedRuntime
    qapp = QApplication.instance() or QApplication([])
    results: dict[str, Any] = {}
    with tempfile.TemporaryDirectory(prefix="hearth-bench-") as home:
        os.environ["HEARTH_HOME"] = str(Path(home) / "scripted")
        scripted = ScriptedRuntime()
        code = [f"x{i} = {i} * 2  # line {i}\n" for i in range(300)]
        scripted.replies = [(["Here is ", "**some** ", "code:\n\n", "```python\n"] + code + ["```\n\n"]) * 3]
        scripted.delay = 0.001
        app = _open(qapp, model, scripted)
        results["scripted_markdown_flood"] = _stream_once(app, "stream", 120)
        _close(qapp, app)

        os.environ["HEARTH_HOME"] = str(Path(home) / "real")
        app = _open(qapp, model)
        results["real_model"] = _window_against_engine(app, qapp, model)
        _close(qapp, app)
    return results


def _window_against_engine(app: Any, qapp: Any, model: Path) -> dict[str, Any]:
    """The real model streaming into the window, then the same request through the engine alone, ``ROUNDS``
    times in turn; the first window round's stall figures, every round's decode, their medians and ratio."""
    windows: list[dict[str, Any]] = []
    alone: list[dict[str, Any]] = []
    for round_number in range(ROUNDS):
        if round_number:
            _new_chat(app, qapp)
        shown = _stream_once(app, STORY, 300)
        conv = app.window.conversation
        with open_home().store() as store:
            reply = store.thread(conv.id)[-1]
            conv = store.conversation(conv.id)
        shown["worker_decode_tokens_per_s"] = reply.tokens_per_s
        windows.append(shown)
        alone.append(_engine_alone(conv, app.window.info))
    real = dict(windows[0])
    if real.get("worker_decode_tokens_per_s") and "gui_pieces_per_s" in real:
        real["gui_vs_worker_ratio"] = round(real["gui_pieces_per_s"] / real["worker_decode_tokens_per_s"], 3)
    window_tps = statistics.median(w["worker_decode_tokens_per_s"] or 0.0 for w in windows)
    alone_tps = statistics.median(a["decode_tokens_per_s"] for a in alone)
    # each window round against the engine round right after it (a shared machine's load drifts slowly)
    paired = [(w["worker_decode_tokens_per_s"] or 0.0) / a["decode_tokens_per_s"]
              for w, a in zip(windows, alone) if a["decode_tokens_per_s"]]
    real.update({
        "model": model.name,
        "rounds": ROUNDS,
        "window_rounds": [{k: w.get(k) for k in ("pieces", "gui_pieces_per_s", "worker_decode_tokens_per_s",
                                                  "gap_ms_p99", "gap_ms_max", "this_process_cpu_s")}
                          for w in windows],
        "engine_alone_rounds": alone,
        "window_decode_tokens_per_s": round(window_tps, 1),
        "engine_alone_decode_tokens_per_s": round(alone_tps, 1),
        "window_vs_engine_decode_ratio": round(window_tps / alone_tps, 3) if alone_tps else None,
        "window_vs_engine_decode_ratio_paired_median": round(statistics.median(paired), 3) if paired else None,
    })
    return real


def _new_chat(app: Any, qapp: Any) -> None:
    """A new, empty conversation shown in the window (the next round must not continue the story)."""
    before = app.window.conversation.id if app.window.conversation else None
    app.window.new_conversation()
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and (app.window.conversation is None or app.window.conversation.id == before
                                           or app.window.chat_view.widgets()):
        qapp.processEvents()
        time.sleep(0.002)


def _engine_alone(conv: Any, info: Any) -> dict[str, Any]:
    """The window's request again, through the engine with no window: a fresh conversation with the same
    settings, the model loaded with the same context and threads, the same prompt; events read here."""
    with open_home().engine() as parts:
        parts.runtime.load(str(conv.model_path or info.path), n_ctx=info.n_ctx, n_threads=info.threads)
        twin = parts.store.create_conversation(
            title="bench: engine alone", model_path=conv.model_path, system_prompt=conv.system_prompt,
            sampling=conv.sampling, context_policy=conv.context_policy, ctx_size=conv.ctx_size)
        arrivals: list[float] = []
        stats: dict[str, Any] = {}
        cpu = time.process_time()
        for event in parts.chat.send(twin.id, STORY):
            if isinstance(event, Piece):
                arrivals.append(time.perf_counter())
            elif isinstance(event, ReplyFinished):
                stats = event.stats
        cpu = time.process_time() - cpu
    result: dict[str, Any] = {"pieces": len(arrivals), "decode_tokens_per_s": stats.get("tokens_per_s") or 0.0,
                              "this_process_cpu_s": round(cpu, 3)}
    if len(arrivals) > 1:
        result["pieces_per_s"] = round((len(arrivals) - 1) / (arrivals[-1] - arrivals[0]), 1)
    return result


def run_gui_bench(out: Path, *, model: Path, runs: int = 5) -> dict[str, Any]:
    result = {
        "machine": {"platform": platform.platform(), "python": platform.python_version(),
                    "cpus": os.cpu_count(), "qpa": os.environ.get("QT_QPA_PLATFORM", "")},
        "startup": measure_startup(runs, model),
        "streaming": measure_streaming(model),
        "targets": {"gap_ms_p99": 16, "gap_ms_max": 50, "first_paint_s": 1.5, "window_vs_engine_decode_ratio": 0.95},
    }
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=2))
    return result
