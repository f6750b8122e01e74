"""The knowledge base: collections of the user's documents, indexed for questions.

How the pieces fit:

- ``base`` — :class:`KnowledgeBase`, the front door: collections, indexing
  runs, search, for one store and one runtime.
- ``extract`` turns one file into structural ``Section`` s (headings,
  paragraphs, code blocks, table rows) with page and line numbers;
  ``chunking`` packs sections into token-sized ``ChunkDraft`` s with overlap;
  ``parsing`` runs both in worker processes with a time and memory limit
  per file, so a hostile file fails alone (the parse pool).
- ``collections`` keeps collections, their sources, files, chunks,
  embeddings and the job queue in the one SQLite database (migration m003).
- ``scan`` walks the sources (stat first, content hash second) and queues
  work; ``indexer`` runs it: parse → chunk → embed (the engine's worker
  process, ``engine.runtime``) → store, resumable after a kill.
- ``runs`` — the run queue and its policy: resume at start, pause, cancel,
  failures and re-runs, for any client (the window's knowledge thread, the
  terminal).
- ``vectors`` keeps a collection's embeddings as a numpy matrix in memory;
  ``normalize`` turns text into search terms (Snowball stems, OpenCC-folded
  Chinese two-character grams), ``terms`` keeps them in the FTS5 terms index
  (migration m005) and ``keyword`` ranks it by bm25, with exact-substring
  matches (trigram) for codes; ``retrieval`` fuses both (``fusion``:
  reciprocal-rank fusion) and ``rerank`` re-scores the top by the question's
  words into scored ``Hit`` s. ``hearth bench kb-quality`` measures it.
- ``prompting`` puts hits into a prompt between random delimiters, as data,
  and reads the ``[n]`` citations back out of a reply.
"""
from __future__ import annotations

from typing import TYPE_CHECKING

from engine.lazy import front_door

_WHERE = {
    "KnowledgeBase": ".base", "Hit": ".records", "IndexProgress": ".indexer",
    "Collection": ".collections", "CollectionStatus": ".collections", "FileProblem": ".collections",
    "FolderScan": ".scan", "RunQueue": ".runs",
}
__all__ = sorted(_WHERE)
__getattr__ = front_door(__name__, _WHERE, globals())

if TYPE_CHECKING:
    from .base import KnowledgeBase
    from .collections import Collection, CollectionStatus, FileProblem
    from .indexer import IndexProgress
    from .records import Hit
    from .runs import RunQueue
    from .scan import FolderScan
