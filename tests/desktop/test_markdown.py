"""Markdown rendering for the message views: structure, code blocks, safety, streaming, Qt."""
from __future__ import annotations

import re

import pytest

from desktop.main.markdown import Rendered, copy_index, is_safe_link, render_markdown

RICH = """# Title

Intro with *em*, **strong**, ~~gone~~, `inline` and [a link](https://example.com).

- one
- two
  - two.a
    1. deep

> quoted **text**

| Name | Qty |
|:-----|----:|
| apple | 3 |
| 梨子 | 12 |

![cat](http://x/cat.png)

```python
def add(a: int, b: int) -> int:
    return a + b  # sum
```

---

    indented code
"""


def html_of(text: str, **kwargs: bool) -> str:
    return render_markdown(text, **kwargs).html


# -- structure -------------------------------------------------------------------------------

def test_headings() -> None:
    out = html_of("# One\n\n## Two\n\n###### Six")
    assert "<h1>One</h1>" in out
    assert "<h2>Two</h2>" in out
    assert "<h6>Six</h6>" in out


def test_nested_lists() -> None:
    out = html_of("- a\n- b\n  - c\n    1. d\n    2. e\n- f\n")
    assert re.search(r"<ul>\s*<li>a</li>\s*<li>b\s*<ul>\s*<li>c\s*<ol>\s*<li>d</li>\s*<li>e</li>\s*</ol>", out)
    assert out.count("<li>") == 6


def test_table() -> None:
    out = html_of("| h1 | h2 |\n|----|---:|\n| a | b |\n| c | d |\n")
    assert "<table" in out and "</table>" in out
    assert re.search(r"<th[^>]*>h1</th>", out) and re.search(r"<th[^>]*>h2</th>", out)
    assert len(re.findall(r"<td[^>]*>", out)) == 4
    assert re.search(r'<td style="text-align:right">b</td>', out)


def test_inline_formatting_blockquote_and_rule() -> None:
    out = html_of("*em* **strong** ~~strike~~ `x < y`\n\n> quote\n\n---\n")
    assert "<em>em</em>" in out
    assert "<strong>strong</strong>" in out
    assert "<s>strike</s>" in out
    assert re.search(r"<code[^>]*>x &lt; y</code>", out)
    assert re.search(r"<blockquote[^>]*>\s*<p>quote</p>", out)
    assert "<hr" in out


def test_links() -> None:
    out = html_of("[site](https://example.com/a?b=1&c=2) and [mail](mailto:me@example.com)")
    assert re.search(r'<a href="https://example.com/a\?b=1&amp;c=2"[^>]*>site</a>', out)
    assert re.search(r'<a href="mailto:me@example.com"[^>]*>mail</a>', out)


def test_bare_urls_become_links_and_stop_at_punctuation_and_cjk() -> None:
    out = html_of("See https://example.com/x. 见 https://example.cn，谢谢")
    assert re.search(r'<a href="https://example.com/x"[^>]*>https://example.com/x</a>\.', out)
    assert re.search(r'<a href="https://example.cn"[^>]*>https://example.cn</a>，谢谢', out)
    linked = html_of("[https://a.example](https://b.example)")
    assert linked.count("<a ") == 1   # no anchor nested inside a link's text


def test_soft_line_breaks_are_kept() -> None:
    assert "<br" in html_of("first line\nsecond line")


# -- code blocks -----------------------------------------------------------------------------

PY = "def add(a, b):\n    return a + b  # sum"


def test_python_fence_is_highlighted_with_copy_link() -> None:
    rendered = render_markdown(f"Text\n\n```python\n{PY}\n```\n")
    assert isinstance(rendered, Rendered)
    assert rendered.code_blocks == (PY,)
    assert re.search(r'<span style="[^"]*color:[^"]*">def</span>', rendered.html)
    assert re.search(r'<span style="[^"]*color:[^"]*"># sum</span>', rendered.html)
    assert 'href="hearth-copy:0"' in rendered.html
    assert ">Copy</a>" in rendered.html
    assert ">python</span>" in rendered.html
    assert "class=" not in rendered.html   # inline styles only


def test_dark_uses_other_colours() -> None:
    light, dark = html_of(f"```python\n{PY}\n```"), html_of(f"```python\n{PY}\n```", dark=True)
    colours = lambda s: set(re.findall(r"#[0-9A-Fa-f]{3,6}\b", s))  # noqa: E731
    assert colours(light) != colours(dark)
    assert render_markdown(f"```python\n{PY}\n```", dark=True).code_blocks == (PY,)


def test_two_blocks_get_indices_in_order() -> None:
    rendered = render_markdown("```js\nlet a = 1;\n```\n\ntext\n\n```\nplain\n```\n")
    assert rendered.code_blocks == ("let a = 1;", "plain")
    assert rendered.html.index('href="hearth-copy:0"') < rendered.html.index('href="hearth-copy:1"')
    assert "hearth-copy:2" not in rendered.html


def test_indented_code_block_is_a_block_too() -> None:
    rendered = render_markdown("para\n\n    x = 1\n    y = 2\n\n```sh\nls\n```")
    assert rendered.code_blocks == ("x = 1\ny = 2", "ls")
    assert 'href="hearth-copy:1"' in rendered.html


def test_unknown_or_missing_language_is_plain_escaped_text() -> None:
    rendered = render_markdown("```nosuchlang\n<b>&amp;</b>\n```\n\n```\nif x < 1: pass\n```")
    assert rendered.code_blocks == ("<b>&amp;</b>", "if x < 1: pass")
    assert "&lt;b&gt;&amp;amp;&lt;/b&gt;" in rendered.html
    assert "<b>" not in rendered.html
    assert ">nosuchlang</span>" in rendered.html and ">text</span>" in rendered.html
    pres = re.findall(r"<pre[^>]*>(.*?)</pre>", rendered.html, re.S)
    assert pres and not any("<span" in body for body in pres)


def test_code_block_keeps_whitespace_and_cjk() -> None:
    code = "def f():\n\tif x:\n        return '你好'\n\n    pass"
    rendered = render_markdown(f"~~~python\n{code}\n~~~")
    assert rendered.code_blocks == (code,)
    assert "你好" in rendered.html and "\t" in rendered.html


# -- safety ----------------------------------------------------------------------------------

def test_images_become_text() -> None:
    out = html_of("Look: ![cat](http://x/cat.png) and ![](https://x/empty.png)")
    assert "<img" not in out.lower()
    assert "http://x/cat.png" not in out and "https://x/empty.png" not in out
    assert "[image: cat]" in out and "[image]" in out


def test_image_inside_link_and_reference_image() -> None:
    out = html_of("[![logo](http://x/l.png)](https://example.com)\n\n![ref][r]\n\n[r]: http://x/r.png")
    assert "<img" not in out.lower() and "x/l.png" not in out and "x/r.png" not in out
    assert re.search(r'<a href="https://example.com"[^>]*>.*\[image: logo\].*</a>', out)
    assert "[image: ref]" in out


def test_raw_html_is_escaped() -> None:
    out = html_of('<script>alert(1)</script>\n\nInline <img src="http://x/y.png"> and <b onclick="x">b</b>')
    assert "<script" not in out.lower() and "<img" not in out.lower() and "<b " not in out
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in out
    assert "&lt;img src=" in out


@pytest.mark.parametrize("url", ["javascript:alert(1)", "JaVaScRiPt:alert(1)", "file:///etc/passwd",
                                 "data:text/html,hi", "vbscript:x", "ftp://example.com/f",
                                 "javascript://example.com/%0Aalert(1)", "file://host/share/x", "relative/path",
                                 "#anchor", "//example.com/x"])
def test_unsafe_links_are_plain_text(url: str) -> None:
    out = html_of(f"[click]({url}) and <{url}>")
    assert "<a " not in out
    assert "click" in out
    assert not re.search(r"href=", out)


@pytest.mark.parametrize(("href", "safe"), [
    ("https://example.com", True), ("http://example.com/x?y=1", True), ("HTTPS://EXAMPLE.COM", True),
    ("mailto:me@example.com", True), ("  https://example.com  ", True),
    ("javascript:alert(1)", False), (" javascript:alert(1)", False), ("java\nscript:x", False),
    ("file:///etc/passwd", False), ("data:text/html,x", False), ("hearth-copy:0", False),
    ("javascript://example.com/%0Aalert(1)", False), ("file://host/share/x", False), ("ftp://example.com", False),
    ("http://", False), ("http:///path", False), ("mailto:", False), ("", False), ("example.com", False),
])
def test_is_safe_link(href: str, safe: bool) -> None:
    assert is_safe_link(href) is safe


@pytest.mark.parametrize(("href", "index"), [
    ("hearth-copy:0", 0), ("hearth-copy:3", 3), ("hearth-copy:12", 12),
    ("hearth-copy:", None), ("hearth-copy:-1", None), ("hearth-copy:x", None), ("hearth-copy:1x", None),
    ("https://example.com", None), ("copy:1", None), ("", None),
])
def test_copy_index(href: str, index: int | None) -> None:
    assert copy_index(href) == index


# -- streaming and text ----------------------------------------------------------------------

@pytest.mark.parametrize("partial", [
    "```python\ndef f(", "```", "```py", "| a | b |\n|--", "| a | b |\n|---|---|\n| 1 |", "**", "lone **bold",
    "[link](http", "![img](http://x", "> ", "- ", "1. ", "`unclosed", "~~", "<scr", "&amp", "", "\n\n", "#",
])
def test_partial_input_does_not_raise(partial: str) -> None:
    for dark in (False, True):
        rendered = render_markdown(partial, dark=dark)
        assert isinstance(rendered.html, str) and isinstance(rendered.code_blocks, tuple)


def test_every_prefix_of_a_rich_reply_renders() -> None:
    for end in range(len(RICH) + 1):
        rendered = render_markdown(RICH[:end])
        assert "<img" not in rendered.html.lower() and "<script" not in rendered.html.lower()


def test_unclosed_fence_is_shown_as_a_code_block() -> None:
    rendered = render_markdown("Here:\n\n```python\nimport os\nprint(os.getcwd(")
    assert rendered.code_blocks == ("import os\nprint(os.getcwd(",)
    assert 'href="hearth-copy:0"' in rendered.html
    assert re.search(r'<span style="[^"]*">import</span>', rendered.html)


def test_chinese_passes_through() -> None:
    text = "## 标题\n\n你好，**世界**！这是一个测试：`代码` 和 [链接](https://example.cn/路径)。"
    out = html_of(text)
    assert "<h2>标题</h2>" in out
    assert "你好，<strong>世界</strong>！这是一个测试：" in out
    assert "代码" in out and ">链接</a>。" in out
    assert "&#" not in out


# -- in a real QTextBrowser ------------------------------------------------------------------

def _browser(qtbot: object) -> object:
    from PySide6.QtCore import QUrl
    from PySide6.QtWidgets import QTextBrowser

    class SpyBrowser(QTextBrowser):
        def __init__(self) -> None:
            super().__init__()
            self.requested: list[str] = []

        def loadResource(self, kind: int, url: QUrl) -> object:  # noqa: N802 (Qt's name)
            self.requested.append(QUrl(url).toString())
            return None

    browser = SpyBrowser()
    qtbot.addWidget(browser)  # type: ignore[attr-defined]
    browser.resize(600, 800)
    browser.show()
    qtbot.waitExposed(browser)  # type: ignore[attr-defined]
    return browser


def _laid_out(browser: object) -> None:
    browser.document().size()  # type: ignore[attr-defined]
    browser.grab()  # type: ignore[attr-defined] # paint, which is when images are requested


def _anchors(document: object) -> list[str]:
    hrefs: list[str] = []
    block = document.begin()  # type: ignore[attr-defined]
    while block.isValid():
        it = block.begin()
        while not it.atEnd():
            href = it.fragment().charFormat().anchorHref()
            if href and href not in hrefs:
                hrefs.append(href)
            it += 1
        block = block.next()
    return hrefs


def test_qtextbrowser_shows_code_and_table_and_requests_nothing(qtbot: object) -> None:
    from PySide6.QtGui import QTextTable

    rendered = render_markdown(RICH)
    browser = _browser(qtbot)
    browser.setHtml(rendered.html)  # type: ignore[attr-defined]
    _laid_out(browser)
    plain = browser.toPlainText()  # type: ignore[attr-defined]
    assert "return a + b  # sum" in plain
    assert "def add(a: int, b: int) -> int:" in plain
    assert "apple" in plain and "梨子" in plain and "12" in plain
    assert "[image: cat]" in plain and "indented code" in plain
    assert "\ufffc" not in plain   # no object replacement character: no image in the document
    assert not [url for url in browser.requested if url.startswith(("http:", "https:"))]  # type: ignore[attr-defined]
    assert browser.requested == []  # type: ignore[attr-defined]
    document = browser.document()  # type: ignore[attr-defined]
    tables = [frame for frame in document.rootFrame().childFrames() if isinstance(frame, QTextTable)]
    assert len(tables) >= 3   # the Markdown table and two code blocks
    assert _anchors(document) == ["https://example.com", "hearth-copy:0", "hearth-copy:1"]


def test_the_resource_spy_would_catch_a_remote_image(qtbot: object) -> None:
    browser = _browser(qtbot)
    browser.setHtml('<p>x <img src="http://x/cat.png"></p>')  # type: ignore[attr-defined]
    _laid_out(browser)
    assert "http://x/cat.png" in browser.requested  # type: ignore[attr-defined]
