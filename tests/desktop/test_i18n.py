"""The interface translations: the 简体中文 catalogue is complete, current, compiled and used.

* every message in ``desktop/i18n/hearth_zh_CN.ts`` is translated, keeping its placeholders,
  HTML tags, keyboard hints and ``&`` mnemonics;
* the ``.ts`` holds exactly the strings ``pyside6-lupdate`` finds in ``desktop/*.py`` (a new
  ``tr()`` string fails here until ``scripts/i18n.sh`` is run and the string translated);
* the ``.qm`` is what ``pyside6-lrelease`` makes of the ``.ts``;
* ``desktop.languages.install`` switches the language of the running application;
* no visible text is set from a bare string literal (it would never be translated).
"""
from __future__ import annotations

import ast
import re
import shutil
import subprocess
import sys
import unicodedata
import xml.etree.ElementTree as ET
from collections import Counter
from pathlib import Path
from typing import Any, Iterator

import pytest
from PySide6.QtCore import QCoreApplication, QLocale

from desktop import languages as i18n

ROOT = Path(__file__).resolve().parents[2]
DESKTOP = ROOT / "desktop"
CATALOGUES = DESKTOP / "i18n"
TRANSLATED = [code for code in i18n.LANGUAGES if code != "en"]

# Translations that may equal the source: names and technical terms kept as they are.
SAME_AS_SOURCE = {"Hearth", "Top-&p", "Top-&k", "M&in-p", "Markdown (*.md)"}
# Words a Chinese translation keeps in Latin letters (a source made only of these needs no CJK).
KEPT_WORDS = re.compile(r"\b(?:tokens?|Hearth|GGUF|Markdown|CPU|GPU|Top|Min)\b", re.IGNORECASE)


# --- reading catalogues ---------------------------------------------------------------------------

def tool(name: str) -> str:
    """A Qt tool from the venv that runs the tests (pyside6-lupdate, pyside6-lrelease)."""
    here = Path(sys.executable).parent / name
    found = str(here) if here.exists() else shutil.which(name)
    assert found, f"{name} not found next to {sys.executable} or on PATH (it ships with PySide6)"
    return found


def messages(ts: Path) -> Iterator[tuple[str, ET.Element]]:
    """(context name, <message>) for every message in a .ts file."""
    for context in ET.parse(ts).getroot().iter("context"):
        name = context.findtext("name") or ""
        for message in context.iter("message"):
            yield name, message


def key(context: str, message: ET.Element) -> tuple[str, str, str, bool]:
    return (context, message.findtext("source") or "", message.findtext("comment") or "",
            message.get("numerus") == "yes")


def translations(message: ET.Element) -> list[str]:
    """The translated text(s) of a message: one per numerus form, or the one translation."""
    element = message.find("translation")
    if element is None:
        return []
    if message.get("numerus") == "yes":
        return [form.text or "" for form in element.findall("numerusform")]
    return [element.text or ""]


def ts_path(code: str) -> Path:
    return CATALOGUES / f"hearth_{code}.ts"


def all_messages() -> list[tuple[str, str, ET.Element]]:
    return [(code, context, message) for code in TRANSLATED for context, message in messages(ts_path(code))]


def where(code: str, context: str, message: ET.Element) -> str:
    location = message.find("location")
    place = f"{location.get('filename')}:{location.get('line')}" if location is not None else "?"
    return f"{code} {context} ({place}) {message.findtext('source')!r}"


# --- what must survive translation ------------------------------------------------------------------

PLACEHOLDER = re.compile(r"%(?:n|L?\d)|\{[A-Za-z_][A-Za-z0-9_]*\}")   # Qt's %1 %n, Python's {name}
TAG = re.compile(r"</?([A-Za-z][A-Za-z0-9]*)\b[^>]*>")
KEY_HINT = re.compile(r"(?<![A-Za-z])(?:(?:Ctrl|Shift|Alt|Meta)\+)+[A-Za-z0-9]+(?![A-Za-z])"
                      r"|(?<![A-Za-z+])(?:Esc|Enter|Tab)(?![A-Za-z])")
MNEMONIC = re.compile(r"&(?!&|[A-Za-z]+;|#\d+;)")
CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")
ASCII_PUNCT_BY_CJK = re.compile(r"[\u3400-\u9fff][,.;:!?]|[,;:!?]\s*[\u3400-\u9fff]")


def tags(text: str) -> Counter[str]:
    """How often each opening and closing HTML tag occurs ("p", "/p", "b", ...)."""
    return Counter(("/" if m.group(0).startswith("</") else "") + m.group(1).lower() for m in TAG.finditer(text))


def mnemonics(text: str) -> list[str]:
    """The characters marked with a single ``&`` (``&&`` is a literal ampersand)."""
    text = text.replace("&&", "")
    return [text[m.end():m.end() + 1] for m in MNEMONIC.finditer(text)]


def test_catalogues_exist_for_every_language() -> None:
    assert TRANSLATED, "no translated language in desktop.languages.LANGUAGES"
    for code in TRANSLATED:
        assert ts_path(code).is_file(), f"missing {ts_path(code)}"
        assert (CATALOGUES / f"hearth_{code}.qm").is_file(), f"missing hearth_{code}.qm"
        assert code in (ROOT / "scripts" / "i18n.sh").read_text(), f"scripts/i18n.sh does not build {code}"


def test_every_message_is_translated() -> None:
    problems = []
    count = 0
    for code, context, message in all_messages():
        count += 1
        element = message.find("translation")
        kind = element.get("type") if element is not None else "missing"
        texts = translations(message)
        if kind is not None:
            problems.append(f"{where(code, context, message)}: translation is {kind}")
        elif message.get("numerus") == "yes" and len(texts) != 1:
            problems.append(f"{where(code, context, message)}: needs exactly one <numerusform> "
                            f"(Chinese has one plural form), has {len(texts)}")
        elif not texts or not all(t.strip() for t in texts):
            problems.append(f"{where(code, context, message)}: empty translation")
    assert count > 100, f"only {count} messages: was the catalogue emptied?"
    assert not problems, "untranslated messages:\n" + "\n".join(problems)


def test_translations_keep_placeholders_tags_hints_and_mnemonics() -> None:
    problems = []
    for code, context, message in all_messages():
        source = message.findtext("source") or ""
        for text in translations(message):
            if not text:
                continue  # reported by test_every_message_is_translated
            at = where(code, context, message)
            if Counter(PLACEHOLDER.findall(source)) != Counter(PLACEHOLDER.findall(text)):
                problems.append(f"{at}: placeholders {sorted(PLACEHOLDER.findall(source))} "
                                f"became {sorted(PLACEHOLDER.findall(text))} in {text!r}")
            if message.get("numerus") == "yes" and "%n" not in text:
                problems.append(f"{at}: numerus translation lacks %n: {text!r}")
            source_tags, text_tags = tags(source), tags(text)
            if source_tags != text_tags:
                problems.append(f"{at}: HTML tags {sorted(source_tags.elements())} "
                                f"became {sorted(text_tags.elements())}")
            if Counter(KEY_HINT.findall(source)) != Counter(KEY_HINT.findall(text)):
                problems.append(f"{at}: keyboard hints {KEY_HINT.findall(source)} "
                                f"became {KEY_HINT.findall(text)} in {text!r}")
            marked = mnemonics(text)
            if len(mnemonics(source)) != len(marked):
                problems.append(f"{at}: {len(mnemonics(source))} '&' mnemonic(s) became {len(marked)} in {text!r}")
            elif any(not (c.isascii() and c.isalnum()) for c in marked):
                problems.append(f"{at}: mnemonic must mark a letter or digit you can type, "
                                f"e.g. 文件(&F): {text!r}")
    assert not problems, "\n".join(problems)


def test_translations_are_chinese_with_chinese_punctuation() -> None:
    problems = []
    for code, context, message in all_messages():
        source = message.findtext("source") or ""
        for text in translations(message):
            at = where(code, context, message)
            if source in SAME_AS_SOURCE:
                continue
            if text == source:
                problems.append(f"{at}: translation is a copy of the source")
            words = re.sub(r"[^A-Za-z]", "", KEPT_WORDS.sub("", PLACEHOLDER.sub("", source)))
            if code.startswith("zh") and words and not CJK.search(text):
                problems.append(f"{at}: not translated into Chinese: {text!r}")
            bad = ASCII_PUNCT_BY_CJK.findall(text)
            if code.startswith("zh") and bad:
                problems.append(f"{at}: ASCII punctuation {bad} next to Chinese text (use ，。：；！？): {text!r}")
    assert not problems, "\n".join(problems)


# --- the catalogue is current -------------------------------------------------------------------------

def test_ts_has_exactly_the_strings_in_the_code(tmp_path: Path) -> None:
    sources = sorted(str(p) for p in DESKTOP.rglob("*.py"))
    for code in TRANSLATED:
        fresh = tmp_path / f"hearth_{code}.ts"
        run = subprocess.run([tool("pyside6-lupdate"), "-no-obsolete", *sources, "-ts", str(fresh)],
                             capture_output=True, text=True, timeout=120)
        assert run.returncode == 0, run.stdout + run.stderr
        in_code = {key(c, m) for c, m in messages(fresh)}
        committed = {key(c, m) for c, m in messages(ts_path(code))}
        assert len(in_code) > 100, f"lupdate found only {len(in_code)} strings:\n{run.stdout}{run.stderr}"
        new = sorted(in_code - committed)
        gone = sorted(committed - in_code)
        assert not new and not gone, (
            f"hearth_{code}.ts is out of date: run scripts/i18n.sh and translate the new strings.\n"
            f"in the code but not in the .ts: {new}\nin the .ts but no longer in the code: {gone}")


def test_qm_is_compiled_from_the_ts(tmp_path: Path) -> None:
    for code in TRANSLATED:
        fresh = tmp_path / f"hearth_{code}.qm"
        run = subprocess.run([tool("pyside6-lrelease"), str(ts_path(code)), "-qm", str(fresh)],
                             capture_output=True, text=True, timeout=120)
        assert run.returncode == 0, run.stdout + run.stderr
        assert "0 unfinished" in run.stdout, run.stdout
        committed = CATALOGUES / f"hearth_{code}.qm"
        assert fresh.read_bytes() == committed.read_bytes(), (
            f"{committed.name} is not compiled from {ts_path(code).name}: run scripts/i18n.sh")


# --- the running application ---------------------------------------------------------------------------

@pytest.fixture
def app(qapp: Any) -> Iterator[Any]:
    """The application, put back into English (and its default locale) afterwards."""
    locale = QLocale()
    yield qapp
    i18n.install(qapp, "en")
    QLocale.setDefault(locale)


def test_install_switches_the_language(app: Any) -> None:
    translate = QCoreApplication.translate
    assert i18n.install(app, "zh_CN") == "zh_CN"
    assert translate("Composer", "Send") == "发送"
    assert translate("MainWindow", "&File") == "文件(&F)"
    assert translate("ErrorDialog", "Something went wrong.") == "出错了。"
    assert translate("ConversationList", "%n message(s) match", "", 3) == "找到 3 条匹配的消息"
    assert QLocale().name() == "zh_CN"
    assert i18n.install(app, "en") == "en"
    assert translate("Composer", "Send") == "Send"
    assert translate("ConversationList", "%n message(s) match", "", 3) == "3 messages match"  # English plurals
    assert translate("ConversationList", "%n message(s) match", "", 1) == "1 message matches"


def test_widgets_follow_a_language_change(app: Any, qtbot: Any) -> None:
    from desktop.main.composer import Composer
    from desktop.main.welcome import WelcomePage

    composer = Composer()
    welcome = WelcomePage("/models")
    for widget in (composer, welcome):
        qtbot.addWidget(widget)
    assert composer.send_button.text() == "Send"
    i18n.install(app, "zh_CN")
    app.processEvents()
    assert composer.send_button.text() == "发送"
    assert composer.stop_button.text() == "停止"
    assert welcome.title.text() == "欢迎使用 Hearth"
    assert "/models" in welcome.body.text()
    i18n.install(app, "en")
    app.processEvents()
    assert composer.send_button.text() == "Send"
    assert welcome.title.text() == "Welcome to Hearth"


def test_resolve_follows_the_system() -> None:
    assert i18n.system_language() in i18n.LANGUAGES
    assert i18n.resolve("") == i18n.system_language()
    assert i18n.resolve("no-such-language") == i18n.system_language()
    for code in i18n.LANGUAGES:
        assert i18n.resolve(code) == code


# --- nothing visible escapes translation ---------------------------------------------------------------

TEXT_SETTERS = {"setText", "setPlaceholderText", "setToolTip", "setStatusTip", "setWhatsThis", "setWindowTitle",
                "setTitle", "addMenu", "addAction", "showMessage", "setAccessibleName", "setAccessibleDescription",
                "setSuffix", "setPrefix", "setSpecialValueText", "setInformativeText", "setDetailedText",
                "setTabText", "addTab", "setLabelText"}
TEXT_WIDGETS = {"QLabel", "QPushButton", "QAction", "QCheckBox", "QRadioButton", "QToolButton", "QGroupBox",
                "QMenu", "QCommandLinkButton"}
CAPTION_CALLS = {"getOpenFileName": (1, 3), "getSaveFileName": (1, 3), "getExistingDirectory": (1,),
                 "information": (1, 2), "warning": (1, 2), "critical": (1, 2), "question": (1, 2)}
TEXT_KEYWORDS = {"text", "title", "toolTip", "placeholderText", "windowTitle", "statusTip", "caption", "filter"}
ALLOWED_LITERALS = set(i18n.LANGUAGES.values())


def literal_text(node: ast.AST) -> str | None:
    """The literal text in an argument: a string, an f-string's fixed parts, or a + of those."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.JoinedStr):
        return "".join(v.value for v in node.values if isinstance(v, ast.Constant) and isinstance(v.value, str))
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        parts = [literal_text(node.left), literal_text(node.right)]
        return "".join(p for p in parts if p) if any(p is not None for p in parts) else None
    if isinstance(node, ast.BoolOp):   # "x or 'Untitled'"
        parts = [literal_text(v) for v in node.values]
        return "".join(p for p in parts if p) if any(p is not None for p in parts) else None
    if isinstance(node, ast.IfExp):
        parts = [literal_text(node.body), literal_text(node.orelse)]
        return "".join(p for p in parts if p) if any(p is not None for p in parts) else None
    return None


def has_words(text: str) -> bool:
    """Letters in any script (ASCII, CJK, ...): symbols and numbers like ‹ › 1/3 need no translation."""
    return any(unicodedata.category(ch).startswith("L") for ch in text)


def visible_literals(tree: ast.AST) -> Iterator[tuple[int, str, str]]:
    """(line, call, text) for each call that shows a string literal with words in it."""
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        func = node.func
        name = func.attr if isinstance(func, ast.Attribute) else func.id if isinstance(func, ast.Name) else ""
        positions: tuple[int, ...] = ()
        if name in TEXT_SETTERS or name in TEXT_WIDGETS:
            positions = (0,)
        elif name in CAPTION_CALLS:
            positions = CAPTION_CALLS[name]
        else:
            continue
        arguments = [node.args[i] for i in positions if i < len(node.args)]
        arguments += [k.value for k in node.keywords if k.arg in TEXT_KEYWORDS]
        for argument in arguments:
            text = literal_text(argument)
            if text is not None and has_words(text) and text not in ALLOWED_LITERALS:
                yield node.lineno, name, text


def test_visible_text_is_never_a_bare_literal() -> None:
    offenders = []
    for path in sorted(DESKTOP.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        for line, call, text in visible_literals(tree):
            offenders.append(f"{path.relative_to(ROOT)}:{line}: {call}({text!r}) -- wrap it in self.tr()")
    assert not offenders, "visible text that is never translated:\n" + "\n".join(offenders)


def test_the_literal_scan_finds_offenders() -> None:
    """The scan itself: it must catch what it is meant to catch, and let symbols through."""
    code = ("b.setText('Save')\nQLabel('名称')\nQAction('Quit', self)\nw.setToolTip(f'{n} files')\n"
            "b.setText('‹')\nb.setText(self.tr('Fine'))\nb.setText(f'{a}/{b}')\nQLabel()\n"
            "m.setTitle(x or 'Untitled')\nQFileDialog.getOpenFileName(self, 'Open', '', 'Any (*)')\n")
    found = [(line, text) for line, _call, text in visible_literals(ast.parse(code))]
    assert sorted(found) == [(1, "Save"), (2, "名称"), (3, "Quit"), (4, " files"), (9, "Untitled"),
                             (10, "Any (*)"), (10, "Open")]


def translation_calls_in_f_strings(tree: ast.AST) -> Iterator[tuple[int, str]]:
    """tr()/translate() inside an f-string's braces: pyside6-lupdate does not see those."""
    for node in ast.walk(tree):
        if not isinstance(node, ast.JoinedStr):
            continue
        for inner in ast.walk(node):
            if isinstance(inner, ast.Call) and isinstance(inner.func, (ast.Attribute, ast.Name)):
                name = inner.func.attr if isinstance(inner.func, ast.Attribute) else inner.func.id
                if name in {"tr", "translate"}:
                    yield inner.lineno, ast.unparse(inner)


def test_no_translation_call_hides_inside_an_f_string() -> None:
    offenders = []
    for path in sorted(DESKTOP.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        for line, call in translation_calls_in_f_strings(tree):
            offenders.append(f"{path.relative_to(ROOT)}:{line}: {call} -- lupdate skips f-string expressions; "
                             "translate into a variable first")
    assert not offenders, "strings pyside6-lupdate cannot extract:\n" + "\n".join(offenders)
    sample = ast.parse("x = f'<a>{tr(\"Copy\")}</a>'\ny = f'{self.tr(\"A\")} b'\nz = self.tr('ok') + f'{n}'\n")
    assert [line for line, _ in translation_calls_in_f_strings(sample)] == [1, 2]
