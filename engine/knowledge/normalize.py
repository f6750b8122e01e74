"""Text as keyword search sees it: one form per word, in English and Chinese.

``fold`` gives the searched form of a text: pinyin glosses left by a
conversion (``應(yīng)用``) removed, NFKC (full-width ``ＧＰＬ２`` is
``GPL2``), case folded, traditional Chinese converted to simplified with
OpenCC's phrase tables (``隨機調整`` is ``随机调整``). ``index_terms`` and
``query_terms`` turn text into plain tokens for the FTS5 terms index: English
words stemmed by Snowball (``warranties`` and ``warranty`` are both
``warranti``) without stopwords; runs of Chinese (and other CJK) characters
as overlapping two-character grams, as Lucene's CJK analyzer does, so the
two-character words most Chinese words are (温度, 幻觉, 量化) are terms that
bm25 ranks like any other. A question also loses its question words (什么,
如何 …). ``spans`` finds, in the original text, where a set of terms
occurs, so the window can highlight what matched; the user always sees the
original text, never the folded one.
"""
from __future__ import annotations

import functools
import re
import unicodedata
from typing import Iterable

import opencc
import snowballstemmer

__all__ = ["fold", "index_terms", "query_terms", "spans", "cjk_share", "STOPWORDS"]

_CJK = (
    "\u3040-\u30ff"               # hiragana, katakana
    "\u3400-\u4dbf\u4e00-\u9fff"  # Han
    "\uf900-\ufaff"               # Han compatibility
    "\uac00-\ud7af"               # Hangul syllables
    "\U00020000-\U0002fa1f"       # Han extensions
)
_HAN = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0002fa1f"
_TOKEN = re.compile(rf"([{_CJK}]+)|([^\W_{_CJK}]+)")
_TONED = "āáǎàēéěèīíǐìōóǒòūúǔùǖǘǚǜńňǹḿ"
# A gloss right after a Han character: pinyin syllables in (half- or full-width) parentheses, with a
# tone mark or a tone number somewhere (so an English gloss such as 模型(model) stays).
_GLOSS = re.compile(
    rf"(?<=[{_HAN}])[(（]\s*(?=[^)）]*(?:[{_TONED}]|[a-zü][1-5]))"
    rf"[a-zü{_TONED}]+[1-5]?(?:['\s]*[a-zü{_TONED}]+[1-5]?)*\s*[)）]",
    re.IGNORECASE)

STOPWORDS = frozenset(
    """
    a about above after again against all also am an and any are aren as at be because been
    before being below between both but by can cannot could couldn did didn do does doesn
    doing don down during each either else ever every few for from further get gets got had
    hadn has hasn have haven having he her here hers herself him himself his how however i if
    in into is isn it its itself just let lets like may me might more most must mustn my
    myself neither no nor not now of off on once only or other ought our ours ourselves out
    over own per please said same say says shall shan she should shouldn so some such tell than that the
    their theirs them themselves then there these they this those though through thus to too
    under until up upon us very via was wasn we were weren what whats when where whether which
    while who whom whose why will with within without won would wouldn yes yet you your yours
    yourself yourselves
    """.split()
)
# Words that make a Chinese sentence a question; grams inside them are not searched for.
_CJK_QUESTION = ("为什么", "是什么", "什么", "怎么样", "怎么", "怎样", "如何", "哪些", "哪个", "哪里",
                 "多少", "多久", "请问", "是否", "能否", "可以吗", "吗", "呢", "吧", "啊", "呀")

_t2s = opencc.OpenCC("t2s.json")
_stemmer = snowballstemmer.stemmer("english")


# British spellings Snowball leaves apart from the American ones (stems)
_SPELLINGS = {"licenc": "licens", "defenc": "defens", "offenc": "offens", "practis": "practic",
              "colour": "color", "behaviour": "behavior", "favour": "favor", "honour": "honor",
              "analys": "analyz", "organis": "organiz", "authoris": "author", "recognis": "recogn"}


@functools.lru_cache(maxsize=65536)
def _stem(word: str) -> str:
    if not word.isalpha():
        return word
    stem = _stemmer.stemWord(word)
    return _SPELLINGS.get(stem, stem)


def _has_cjk(text: str) -> bool:
    return not text.isascii() and re.search(f"[{_CJK}]", text) is not None


def fold(text: str) -> str:
    """The searched form of ``text``: no pinyin glosses, NFKC, case folded, simplified Chinese."""
    if text.isascii():
        return text.lower()
    text = _GLOSS.sub("", text)
    text = unicodedata.normalize("NFKC", text).casefold()
    return _t2s.convert(text) if _has_cjk(text) else text


def _grams(run: str) -> list[str]:
    """Overlapping two-character grams of a CJK run (the character itself when alone)."""
    if len(run) == 1:
        return [run]
    return [run[i:i + 2] for i in range(len(run) - 1)]


def _terms(folded: str, *, question: bool) -> list[str]:
    out: list[str] = []
    for match in _TOKEN.finditer(folded):
        run, word = match.group(1), match.group(2)
        if run:
            if question:
                out += _question_grams(run)
            else:
                out += _grams(run)
        elif word not in STOPWORDS:
            out.append(_stem(word))
    return out


def _question_grams(run: str) -> list[str]:
    """A question's grams, less those inside a question word (什么, 如何 …)."""
    masked = [False] * len(run)
    for word in _CJK_QUESTION:
        start = run.find(word)
        while start >= 0:
            masked[start:start + len(word)] = [True] * len(word)
            start = run.find(word, start + 1)
    kept = [run[i:i + 2] for i in range(len(run) - 1) if not any(masked[i:i + 2])]
    if kept:
        return kept
    # nothing but question words around single characters (税是什么): those characters alone
    return [ch for ch, hit in zip(run, masked) if not hit]


def index_terms(text: str) -> list[str]:
    """The terms of a text as indexed, in order, repeats kept (bm25 counts them)."""
    return _terms(fold(text), question=False)


def query_terms(text: str) -> list[str]:
    """The terms of a question, in order, without repeats."""
    return list(dict.fromkeys(_terms(fold(text), question=True)))


def _folded_map(text: str) -> tuple[str, list[int], list[int]]:
    """``fold(text)`` with, for each of its characters, the (start, end) of the original characters it came from.

    A character is folded together with the combining marks after it (``a`` + U+0301 is ``á``, as
    ``fold`` composes it), so that the highlight covers the marks too."""
    removed = [False] * len(text)
    for gloss in _GLOSS.finditer(text):
        removed[gloss.start():gloss.end()] = [True] * (gloss.end() - gloss.start())
    chars: list[str] = []
    starts: list[int] = []
    ends: list[int] = []
    i = 0
    while i < len(text):
        if removed[i]:
            i += 1
            continue
        end = i + 1
        while end < len(text) and not removed[end] and unicodedata.combining(text[end]):
            end += 1
        piece = text[i:end]
        folded = piece.lower() if piece.isascii() else unicodedata.normalize("NFKC", piece).casefold()
        chars.extend(folded)
        starts.extend([i] * len(folded))
        ends.extend([end] * len(folded))
        i = end
    folded = "".join(chars)
    if _has_cjk(folded):
        converted = _t2s.convert(folded)
        if len(converted) == len(folded):
            folded = converted
        else:   # a phrase changed length: convert character by character to keep the map
            folded = "".join(_t2s.convert(ch) if len(_t2s.convert(ch)) == 1 else ch for ch in folded)
    return folded, starts, ends


def spans(text: str, terms: Iterable[str]) -> list[tuple[int, int]]:
    """``(start, end)`` ranges of ``text`` (the original) whose folded form is one of ``terms``, merged."""
    wanted = set(terms)
    if not wanted or not text:
        return []
    folded, starts, ends = _folded_map(text)
    found: list[tuple[int, int]] = []
    for match in _TOKEN.finditer(folded):
        run, word = match.group(1), match.group(2)
        if run:
            grams = _grams(run)
            for offset, gram in enumerate(grams):
                if gram in wanted:
                    first = match.start() + offset
                    found.append((starts[first], ends[first + len(gram) - 1]))
        elif _stem(word) in wanted and word not in STOPWORDS:
            found.append((starts[match.start()], ends[match.end() - 1]))
    found.sort()
    merged: list[tuple[int, int]] = []
    for start, end in found:
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))
    return merged


def cjk_share(text: str) -> float:
    """The share of a text's letters that are CJK characters (0 for a text without letters)."""
    letters = cjk = 0
    for match in _TOKEN.finditer(text):
        if match.group(1):
            cjk += len(match.group(1))
            letters += len(match.group(1))
        else:
            letters += len(match.group(2))
    return cjk / letters if letters else 0.0
