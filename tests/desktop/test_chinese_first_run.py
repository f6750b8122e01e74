"""A Chinese user's first run: the starter model cannot write Chinese, and the window says so and offers a
Chinese-capable catalog model sized for this machine, downloaded in one click (over a Hub of ours on
loopback, with the real huggingface_hub client), after which it is a model like any other.
"""
from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QLocale, Qt

from desktop.main.demo_banner import first_model_cap, recommendation
from engine.models.catalog import load_catalog
from engine.models.starter import starter_model
from engine.runtime.scripted import ScriptedRuntime
from tests.hub_server import FakeHub, hub  # noqa: F401
from tests.window_helpers import close_app, make_app, type_and_send, wait_idle


def test_the_first_model_is_sized_for_the_processor_and_handles_chinese() -> None:
    assert first_model_cap(2, has_gpu=False) == 2_000_000_000
    assert first_model_cap(8, has_gpu=False) == 4_000_000_000
    assert first_model_cap(16, has_gpu=False) is None and first_model_cap(2, has_gpu=True) is None
    found = recommendation("zh")
    assert found is not None and found.chinese
    entry = next(e for e in load_catalog().entries if e.repo == found.repo)
    assert entry.handles_chinese and "smollm2" not in entry.id


def test_a_chinese_first_message_gets_the_banner_and_a_one_click_download(qtbot, hub: FakeHub,  # noqa: F811
                                                                            smollm2_path: Path) -> None:
    assert starter_model() is not None
    found = recommendation("zh")
    assert found is not None
    hub.add_repo(found.repo, downloads=100, tags=("gguf", "text-generation"))
    for name in found.filenames:
        hub.add_file(found.repo, name, smollm2_path)     # any real GGUF will do as the served bytes
    runtime = ScriptedRuntime()
    runtime.replies = [["Hello"]]
    hearth = make_app(qtbot, None, runtime=runtime, starter=True)
    try:
        banner = hearth.window.demo_banner
        qtbot.waitUntil(lambda: banner.isVisible(), timeout=10_000)
        assert not banner.chinese and not QLocale().name().startswith("zh")   # an English window
        type_and_send(qtbot, hearth, "你好，请介绍一下你自己")
        wait_idle(qtbot, hearth)
        qtbot.waitUntil(lambda: banner.chinese and banner.recommended() is not None
                        and banner.recommended().chinese, timeout=10_000)
        assert "cannot write Chinese" in banner.label.text() and found.name in banner.label.text()
        assert banner.download_button.isVisible() and found.name in banner.download_button.text()
        qtbot.mouseClick(banner.download_button, Qt.MouseButton.LeftButton)
        manager = hearth.window.model_manager
        assert manager is not None and manager.isVisible()
        qtbot.waitUntil(lambda: any(Path(m.path).name == found.filenames[0] for m in hearth.window.models),
                        timeout=60_000)
    finally:
        close_app(hearth)


def test_a_chinese_window_advises_a_chinese_model_from_the_start(qtbot) -> None:
    from PySide6.QtWidgets import QApplication

    from desktop import languages

    languages.install(QApplication.instance(), "zh_CN")     # as desktop.app.run does with the preference
    hearth = make_app(qtbot, None, runtime=ScriptedRuntime(), starter=True)
    try:
        banner = hearth.window.demo_banner
        qtbot.waitUntil(lambda: banner.isVisible() and banner.recommended() is not None, timeout=10_000)
        assert banner.chinese and banner.recommended().chinese
        text = banner.label.text()
        assert "SmolLM2" in text and "中文" in text and banner.recommended().name in text, text
        assert banner.download_button.text().startswith("下载")
    finally:
        close_app(hearth)
        languages.install(QApplication.instance(), "en")
