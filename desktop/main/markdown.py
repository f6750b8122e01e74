"""Markdown to Qt rich text, for the message views (read-only QTextBrowser widgets).

Model replies and user messages are Markdown. This module turns them into the
subset of HTML that Qt's rich text engine understands: headings, nested lists,
tables, links, emphasis, strikethrough, inline code, blockquotes and fenced
code blocks highlighted by Pygments with inline styles (Qt has no stylesheet
classes for that). Each code block gets a header row with its language and a
"Copy" link whose href is ``hearth-copy:N``; the sources are returned in
``Rendered.code_blocks`` so the view can copy block N. A reply that used the
knowledge base cites its sources as [1], [2, 3]: given how many sources the
reply had, each cited number that exists becomes a ``hearth-source:N`` link.

Safety: the view never fetches anything. Images become text ("[image: alt]"),
raw HTML is escaped, and only http, https and mailto links become anchors
(besides our own copy links and the citations of sources that exist).
The renderer is called on every streamed token of a partial reply, so it never
raises: on an unexpected error it falls back to escaped plain text.
"""
from __future__ import annotations

import html
import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Sequence
from urllib.parse import urlsplit

from markdown_it import MarkdownIt
from markdown_it.token import Token
from pygments import highlight
from pygments.formatters import HtmlFormatter
from pygments.lexer import Lexer
from pygments.lexers import get_lexer_by_name
from pygments.styles import get_style_by_name
from pygments.token import Text
from pygments.util import ClassNotFound
from PySide6.QtCore import QCoreApplication

__all__ = ["Rendered", "render_code", "render_markdown", "copy_index", "source_number", "is_safe_link",
           "COPY_SCHEME", "SOURCE_SCHEME"]

COPY_SCHEME = "hearth-copy"
SOURCE_SCHEME = "hearth-source"
_SAFE_SCHEMES = frozenset({"http", "https", "mailto"})
_COPY_RE = re.compile(r"hearth-copy:(0|[1-9][0-9]{0,8})")
_SOURCE_RE = re.compile(r"hearth-source:([1-9][0-9]{0,2})")
# Citations as engine/knowledge/prompting.py finds them: [1], [2, 3], [1，2]
_CITE_RE = re.compile(r"\[(\d{1,3}(?:\s*[,，、]\s*\d{1,3})*)\]")
_CITE_SPLIT_RE = re.compile(r"(\d{1,3})")
# Bare URLs in text (no linkify-it-py): ASCII URL characters only, so a URL
# followed directly by CJK text or punctuation stops where it should.
_BARE_URL_RE = re.compile(r"https?://[A-Za-z0-9\-._~:/?#\[\]@!$&'()*+,;=%]+")
_TRAILING_PUNCT = ".,;:!?'\"*_"
_CLOSERS = {")": "(", "]": "["}


@dataclass(frozen=True)
class Rendered:
    """A message rendered for QTextBrowser.setHtml, with the code its Copy links copy."""

    html: str                      # a complete HTML fragment for QTextBrowser.setHtml
    code_blocks: tuple[str, ...]   # each fenced/indented block's source, in order, less its last newline


@dataclass(frozen=True)
class _Theme:
    style: str
    code_bg: str      # code block and inline code background
    header_bg: str    # code block header row
    header_fg: str    # language name in the header row
    code_fg: str      # default text colour inside code blocks
    muted: str        # image placeholders, blockquote text, table borders
    link: str         # anchors (QTextDocument takes link colours from the app palette otherwise)


def _theme(dark: bool) -> _Theme:
    style = get_style_by_name("monokai" if dark else "default")
    fg = style.style_for_token(Text).get("color") or ("f8f8f2" if dark else "1f2328")
    if dark:
        return _Theme("monokai", style.background_color, "#3e3d32", "#a6a69c", f"#{fg}", "#9a9a9a", "#6cb6ff")
    return _Theme("default", "#f3f4f6", "#e3e6ea", "#57606a", f"#{fg}", "#6b7280", "#0969da")


_THEMES = {False: _theme(False), True: _theme(True)}


def copy_index(href: str) -> int | None:
    """The code block index of a Copy link ("hearth-copy:3" -> 3); None for any other href."""
    match = _COPY_RE.fullmatch(href.strip()) if isinstance(href, str) else None
    return int(match.group(1)) if match else None


def source_number(href: str, count: int) -> int | None:
    """The source a citation link points at ("hearth-source:2" -> 2) if 1 <= n <= ``count``; else None."""
    match = _SOURCE_RE.fullmatch(href.strip()) if isinstance(href, str) else None
    if match is None:
        return None
    number = int(match.group(1))
    return number if 1 <= number <= count else None


def is_safe_link(href: str) -> bool:
    """Whether a link may be shown as an anchor and opened: http(s) with a host, or mailto."""
    if not isinstance(href, str):
        return False
    href = href.strip()
    if not href or any(ord(ch) < 0x20 or ch == "\x7f" for ch in href):
        return False
    try:
        parts = urlsplit(href)
    except ValueError:
        return False
    scheme = parts.scheme.lower()
    if scheme not in _SAFE_SCHEMES:
        return False
    return bool(parts.netloc) if scheme != "mailto" else len(href) > len("mailto:")


@lru_cache(maxsize=2)
def _formatter(style: str) -> HtmlFormatter:
    return HtmlFormatter(style=style, noclasses=True, nowrap=True)


@lru_cache(maxsize=64)
def _lexer(language: str) -> Lexer | None:
    if not language:
        return None
    try:
        return get_lexer_by_name(language, stripnl=False)
    except (ClassNotFound, ValueError):
        return None


@lru_cache(maxsize=256)
def _highlight(code: str, language: str, style: str) -> str:
    """Highlighted HTML for one block; cached, so while a reply streams only its last block is lexed again."""
    lexer = _lexer(language.lower())
    if lexer is None:
        return html.escape(code, quote=False)
    out = highlight(code, lexer, _formatter(style))
    # Pygments ends the output with the newline it appended; drop it so the
    # block has no empty last line (it may sit inside a whitespace span).
    return re.sub(r"\n((?:</span>)?)\Z", r"\1", out, count=1)


def _code_block(code: str, language: str, index: int, theme: _Theme, *, header: bool = True,
                bottom: bool = True, colour: bool = True) -> str:
    """A code block as a table; a continuation chunk of a long block has no header and no top margin."""
    label = html.escape(language or "text")
    if not code:
        body = "&nbsp;"
    else:
        body = _highlight(code, language, theme.style) if colour else html.escape(code, quote=False)
    copy = html.escape(QCoreApplication.translate("Markdown", "Copy"))
    head = (f'<tr><td bgcolor="{theme.header_bg}"><span style="color:{theme.header_fg};font-size:small">'
            f'{label}</span></td><td bgcolor="{theme.header_bg}" align="right">'
            f'<a href="{COPY_SCHEME}:{index}" style="color:{theme.link};font-size:small">{copy}</a></td></tr>'
            if header else "")
    return (
        f'<table width="100%" cellspacing="0" cellpadding="6" bgcolor="{theme.code_bg}" '
        f'style="margin-top:{6 if header else 0}px;margin-bottom:{6 if bottom else 0}px">{head}'
        f'<tr><td colspan="2"><pre style="color:{theme.code_fg};white-space:pre-wrap">{body}</pre>'
        "</td></tr></table>\n"
    )


def render_code(code: str, language: str, *, header: bool, bottom: bool, dark: bool = False,
                colour: bool = True) -> Rendered:
    """One chunk of a code block (see desktop/blocks.py); its Copy link is index 0.

    ``colour=False`` skips highlighting: the chunk still being streamed is
    drawn plain and coloured once it is complete."""
    theme = _THEMES[bool(dark)]
    chunk = code[:-1] if code.endswith("\n") else code
    return Rendered(_code_block(chunk, language, 0, theme, header=header, bottom=bottom, colour=colour), (chunk,))


def warm_up(languages: Sequence[str] = ("python", "javascript", "bash", "json", "c", "cpp", "rust")) -> None:
    """Load the common lexers ahead of time (the first Python lexer costs ~30 ms); any thread."""
    for language in languages:
        _highlight("x = 1\n", language, _THEMES[False].style)


def _anchor_open(href: str, theme: _Theme) -> str:
    return f'<a href="{html.escape(href)}" style="color:{theme.link}">'


def _cite_group(group: str, sources: int, theme: _Theme) -> str:
    """One bracketed citation ("[1]", "[2, 3]") with each existing source number as a link."""
    numbers = [int(n) for n in _CITE_SPLIT_RE.findall(group)]
    if not numbers or not all(1 <= n <= sources for n in numbers):
        return html.escape(group, quote=False)
    if len(numbers) == 1:
        return f'{_anchor_open(f"{SOURCE_SCHEME}:{numbers[0]}", theme)}{html.escape(group, quote=False)}</a>'
    out = []
    for piece in _CITE_SPLIT_RE.split(group):
        if piece.isdigit():
            out.append(f'{_anchor_open(f"{SOURCE_SCHEME}:{int(piece)}", theme)}{piece}</a>')
        else:
            out.append(html.escape(piece, quote=False))
    return "".join(out)


def _cite(text: str, sources: int, theme: _Theme) -> str:
    """Escape text, turning citations of sources 1..``sources`` into ``hearth-source:N`` links."""
    out: list[str] = []
    pos = 0
    for match in _CITE_RE.finditer(text):
        out.append(html.escape(text[pos:match.start()], quote=False))
        out.append(_cite_group(match.group(0), sources, theme))
        pos = match.end()
    out.append(html.escape(text[pos:], quote=False))
    return "".join(out)


def _trim_url(url: str) -> str:
    """A bare URL less the punctuation after it: trailing . , ; : ! ? quotes, and a ) or ] it did not open."""
    while url:
        last = url[-1]
        if last in _TRAILING_PUNCT:
            url = url[:-1]
        elif last in _CLOSERS and url.count(_CLOSERS[last]) < url.count(last):
            url = url[:-1]
        else:
            break
    return url


def _linkify(text: str, theme: _Theme, sources: int = 0) -> str:
    """Escape text, turning bare http(s) URLs into anchors."""
    out: list[str] = []
    pos = 0
    for match in _BARE_URL_RE.finditer(text):
        url = match.group(0)
        url = _trim_url(url)
        if not is_safe_link(url):
            continue
        out.append(_cite(text[pos:match.start()], sources, theme))
        out.append(f"{_anchor_open(url, theme)}{html.escape(url, quote=False)}</a>")
        pos = match.start() + len(url)
    out.append(_cite(text[pos:], sources, theme))
    return "".join(out)


_Tokens = Sequence[Token]
_Env = dict[str, Any]


class _Renderer:
    """Render rules for markdown-it tokens; env carries the theme and the code blocks found."""

    @staticmethod
    def fence(self: Any, tokens: _Tokens, idx: int, options: Any, env: _Env) -> str:
        token = tokens[idx]
        info = token.info.strip().split(maxsplit=1) if token.type == "fence" else []
        language = info[0] if info else ""
        code = token.content[:-1] if token.content.endswith("\n") else token.content
        blocks: list[str] = env["blocks"]
        blocks.append(code)
        return _code_block(code, language, len(blocks) - 1, env["theme"])

    @staticmethod
    def code_inline(self: Any, tokens: _Tokens, idx: int, options: Any, env: _Env) -> str:
        code = html.escape(tokens[idx].content, quote=False)
        return f'<code style="background-color:{env["theme"].code_bg}">{code}</code>'

    @staticmethod
    def image(self: Any, tokens: _Tokens, idx: int, options: Any, env: _Env) -> str:
        token = tokens[idx]
        alt = self.renderInlineAsText(token.children or [], options, env).strip()
        label = (QCoreApplication.translate("Markdown", "[image: %1]").replace("%1", alt) if alt
                 else QCoreApplication.translate("Markdown", "[image]"))
        return f'<span style="color:{env["theme"].muted}">{html.escape(label, quote=False)}</span>'

    @staticmethod
    def link_open(self: Any, tokens: _Tokens, idx: int, options: Any, env: _Env) -> str:
        href = str(tokens[idx].attrGet("href") or "")
        safe = is_safe_link(href)
        env["links"].append(safe)
        return _anchor_open(href, env["theme"]) if safe else ""

    @staticmethod
    def link_close(self: Any, tokens: _Tokens, idx: int, options: Any, env: _Env) -> str:
        links: list[bool] = env["links"]
        return "</a>" if links and links.pop() else ""

    @staticmethod
    def text(self: Any, tokens: _Tokens, idx: int, options: Any, env: _Env) -> str:
        content = tokens[idx].content
        if env["links"]:
            return html.escape(content, quote=False)
        sources = env["sources"] if "[" in content else 0
        if "://" not in content:
            return _cite(content, sources, env["theme"]) if sources else html.escape(content, quote=False)
        return _linkify(content, env["theme"], sources)

    @staticmethod
    def table_open(self: Any, tokens: _Tokens, idx: int, options: Any, env: _Env) -> str:
        return (f'<table border="1" cellspacing="0" cellpadding="4" '
                f'style="border-collapse:collapse;border-color:{env["theme"].muted}">\n')

    @staticmethod
    def blockquote_open(self: Any, tokens: _Tokens, idx: int, options: Any, env: _Env) -> str:
        return f'<blockquote style="color:{env["theme"].muted}">\n'


def _make_parser() -> MarkdownIt:
    md = MarkdownIt("commonmark", {"html": False, "breaks": True})
    md.enable(["table", "strikethrough"])
    # Every URL gets through the parser; the render rules decide what becomes an
    # anchor, so an unsafe link shows as its plain text instead of raw Markdown.
    md.validateLink = lambda url: True  # type: ignore[method-assign]
    for name in ("fence", "code_inline", "image", "link_open", "link_close", "text",
                 "table_open", "blockquote_open"):
        md.add_render_rule(name, getattr(_Renderer, name))
    md.add_render_rule("code_block", _Renderer.fence)
    return md


_MD = _make_parser()


def render_markdown(text: str, *, dark: bool = False, sources: int = 0) -> Rendered:
    """Render Markdown (possibly a partial, still-streaming reply) as Qt rich text.

    ``sources``: how many numbered sources the reply had; citations of them become links."""
    text = text if isinstance(text, str) else str(text)
    env: dict[str, Any] = {"theme": _THEMES[bool(dark)], "blocks": [], "links": [], "sources": max(0, int(sources))}
    try:
        body = _MD.render(text, env)
    except Exception:  # never let a half-written reply break the view
        escaped = html.escape(text, quote=False).replace("\n", "<br>")
        return Rendered(f"<p>{escaped}</p>", ())
    return Rendered(body, tuple(env["blocks"]))
