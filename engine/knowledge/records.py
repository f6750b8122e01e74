"""Plain records passed between the knowledge base's stages."""
from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass(frozen=True)
class Section:
    """A structural piece of a document, as its extractor found it."""

    text: str
    kind: str                  # "heading" | "paragraph" | "code" | "table" | "list"
    line_start: int            # 1-based, inclusive, in the extracted text (of the page, for PDFs)
    line_end: int
    page: int | None = None    # 1-based page number (PDF), else None
    heading: str = ""          # the headings this section sits under, "Intro › Setup"
    level: int = 0             # for headings: 1 for "#", 2 for "##"...


@dataclass(frozen=True)
class Extracted:
    """A whole document as sections."""

    path: str
    kind: str                  # "text" | "markdown" | "html" | "pdf" | "docx" | "code" | "csv"
    sections: list[Section]
    pages: int | None = None
    note: str = ""             # what was left out, e.g. "indexed the first 4,000,000 characters (limit)"


@dataclass(frozen=True)
class ChunkDraft:
    """A chunk ready to be embedded and stored."""

    text: str
    line_start: int
    line_end: int
    tokens: int                # estimated with chunking.estimate_tokens
    page: int | None = None
    heading: str = ""


@dataclass(frozen=True)
class ParseResult:
    """What a parse worker made of one file: chunks, or the reason it failed."""

    path: str
    sha256: str | None
    size: int
    kind: str | None
    chunks: list[ChunkDraft] = field(default_factory=list)
    pages: int | None = None
    error: str | None = None   # the engine error class name, e.g. "DocumentTimeout"
    reason: str = ""           # one line for people
    seconds: float = 0.0
    note: str = ""             # indexed, but not all of it (a limit): one line for people

    @property
    def ok(self) -> bool:
        return self.error is None


@dataclass(frozen=True)
class Hit:
    """One retrieved chunk with where it came from and how it scored."""

    chunk_id: int
    collection: str
    path: str
    text: str
    line_start: int
    line_end: int
    page: int | None
    heading: str
    score: float                        # fused score (reciprocal-rank fusion), higher is better
    vector_score: float | None = None   # cosine similarity, when the vector search found it
    vector_rank: int | None = None      # 1-based
    keyword_score: float | None = None  # FTS5 bm25 (lower is better), when the keyword search found it
    keyword_rank: int | None = None
    rerank_score: float | None = None   # the rerank's score (higher is better), in mode "hybrid+rerank"
    # what the rerank score is made of: ("prior", …) and rerank.FEATURES ("coverage", "window", …)
    rerank_parts: tuple[tuple[str, float], ...] = ()

    @property
    def order_score(self) -> float:
        """The score the hits were ordered by: the rerank's when there was one, else the fused score."""
        return self.rerank_score if self.rerank_score is not None else self.score

    def where(self) -> str:
        """'GPL-3, page 2, lines 10–24' style location, without the folder."""
        from pathlib import PurePath
        parts = [PurePath(self.path).name]
        if self.page is not None:
            parts.append(f"page {self.page}")
        parts.append(f"lines {self.line_start}–{self.line_end}" if self.line_end != self.line_start
                     else f"line {self.line_start}")
        return ", ".join(parts)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)
