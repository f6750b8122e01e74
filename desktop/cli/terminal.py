"""Untrusted text (file names, titles, document text, model names, Hub replies, errors) made safe to show.

A file named ``"\\x1b]0;pwned\\x07report.md"`` would retitle the user's terminal, one with
``"\\x1b[2J"`` clear it, a ``"\\r"`` or a newline forge a line of output, and U+202E (right-to-left
override) show ``"gpj.exe"`` as ``"exe.jpg"``. ``visible`` writes those characters as escapes
(``\\x1b``, ``\\u202e``) so nothing a name holds is acted on or hidden: every piece of untrusted
text the ``hearth`` command prints goes through it (``error_text`` for errors, ``json_text`` for
``--json``). The window uses the same function (``desktop.plain`` re-exports it). No Qt here.
"""
from __future__ import annotations

import json
import re
import unicodedata
from typing import Any

__all__ = ["visible", "error_text", "json_text"]

# Bidirectional embeddings, overrides and isolates, and the invisible marks that reorder or hide text.
_BIDI = frozenset("\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
_INVISIBLE = frozenset("\u200b\u200c\u200d\u2060\ufeff")
# json.dumps escapes U+0000-U+001F in strings itself and writes only ASCII outside them (its indent is
# "\n" and spaces): escaping these wherever they are keeps the JSON valid.
_JSON_UNSAFE = re.compile("[\x7f-\x9f\ud800-\udfff\u2028\u2029"
                          + "".join(sorted(_BIDI | _INVISIBLE)) + "]")


def _escape(ch: str) -> str:
    code = ord(ch)
    if code < 0x100:
        return f"\\x{code:02x}"
    if code < 0x10000:
        return f"\\u{code:04x}"
    return f"\\U{code:08x}"


def visible(text: object, *, newlines: bool = False) -> str:
    """``text`` with control, bidi-override and invisible format characters written as ``\\x1b`` /
    ``\\u202e`` escapes (a backslash stays itself). ``newlines=True`` keeps line breaks and tabs
    (message text, document text); names, paths and titles are one line: leave it False."""
    text = "" if text is None else str(text)
    out = []
    for ch in text:
        if newlines and ch in "\n\t":
            out.append(ch)
        elif ch in _BIDI or ch in _INVISIBLE or unicodedata.category(ch) in ("Cc", "Cs", "Zl", "Zp"):
            out.append(_escape(ch))
        else:
            out.append(ch)
    return "".join(out)


def error_text(exc: BaseException) -> str:
    """An error's message and hint (``HearthError.full_text``), each escaped, on their own lines."""
    message = getattr(exc, "message", None)
    if message is None:
        return visible(exc)
    return "\n".join(visible(part) for part in (message, getattr(exc, "hint", "")) if part)


def json_text(obj: Any, **kwargs: Any) -> str:
    """``json.dumps(obj, ensure_ascii=False)`` with controls, C1, lone surrogates, bidi and invisible
    characters written as ``\\uXXXX`` escapes: readable (CJK stays itself), valid, and safe to print."""
    text = json.dumps(obj, ensure_ascii=False, **kwargs)
    return _JSON_UNSAFE.sub(lambda m: f"\\u{ord(m.group()):04x}", text)
