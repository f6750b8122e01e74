"""The knowledge base's front door: collections, indexing and search in one object.

``KnowledgeBase`` joins the store (one thread's connection) and a runtime
whose worker process computes embeddings. Each collection has its own
embedding model (``Collection.embedder``: a file's path or an installed
model's name, chosen when it is created and changeable with
:meth:`KnowledgeBase.set_embedder`, which re-embeds at the next run); one
without a choice uses the knowledge base's default (the ``embedder`` given,
else the starter all-MiniLM-L6-v2). The runtime's worker holds one embedding
model at a time: indexing loads the collection's model, and a question is
embedded once by each model among the collections searched, switching as
needed (about 50 ms for MiniLM). A collection whose model file is missing
keeps its keyword search. The terminal, the window and ``Chat`` all go through it.

A model on a remote backend, ``remote://<backend>/<model>`` (``engine.remote.embeddings``), is recorded
by that spelling (``embed_model``) and its vectors' size (``embed_dim``): a change re-embeds as for a
local model, and a server that cannot embed a question leaves its collections to keyword search.
"""
from __future__ import annotations

import logging
import re
import threading
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Callable, Iterable, Iterator, Sequence

import numpy as np

from engine import errors
from engine.knowledge import collections as library
from engine.knowledge import normalize, terms
from engine.knowledge import scan as _scan
from engine.knowledge.collections import Collection, CollectionStatus, EmbedderWarning
from engine.knowledge.indexer import EmbedderIdentity, Indexer, IndexProgress, adopt_embedder
from engine.knowledge.records import Hit
from engine.knowledge.retrieval import DEFAULT_MODE, VECTOR_WEIGHT, Retriever, vector_weight
from engine.models import embedders as models
from engine.remote import embeddings as remote
from engine.remote.backends import Backends
from engine.remote.embeddings import RemoteEmbedder, is_remote_embedder
from engine.runtime.client import Runtime
from engine.sampling import CancelToken
from engine.store import Store

log = logging.getLogger(__name__)

# (name pattern, document prefix, query prefix, least cosine similarity that counts as relevant)
_PROFILES: list[tuple[re.Pattern[str], str, str, float]] = [
    (re.compile(r"nomic-embed", re.I), "search_document: ", "search_query: ", 0.45),
    (re.compile(r"(^|[^a-z])e5([^a-z]|$)", re.I), "passage: ", "query: ", 0.75),
    (re.compile(r"qwen3-embedding", re.I), "",
     "Instruct: Given a question, retrieve passages that answer it\nQuery: ", 0.35),
    (re.compile(r"bge", re.I), "", "", 0.45),
]
DEFAULT_MIN_SIMILARITY = 0.3
CHINESE_SHARE = 0.3           # a collection whose sampled text is more CJK than this is "mostly Chinese"
SAMPLE_CHUNKS = 24            # chunks read, spread over the collection, to tell its language
SUGGESTED = ("bge-m3", "qwen3-embedding-0.6b")   # catalog ids offered for Chinese collections
# When the embedding model cannot understand the question (an English-only model asked in Chinese), its
# cosine scores are noise (0.33–0.56 for questions the documents do not cover, the same as for those they
# do), so a passage counts as found only by its words: it must hold ``LEXICAL_TERMS`` of the question's
# distinct content terms (all of them when the question has fewer). Chinese terms are character bigrams;
# one that holds a function character (的做, 高的, 一个) matches almost any text and is no evidence. On the
# Chinese half of tests/data/kb_quality, with all-MiniLM-L6-v2: 55 of its 57 questions keep a passage,
# and 0 of 16 questions it does not cover (cooking, travel, weather) do.
LEXICAL_TERMS = 2
FUNCTION_CHARACTERS = frozenset("的了是在有个一吗么呢吧啊这那和与及或也都就还又很会能要把被给让对为")


def _profile(name: str) -> tuple[str, str, float]:
    for pattern, doc, query, floor in _PROFILES:
        if pattern.search(name):
            return doc, query, floor
    return "", "", DEFAULT_MIN_SIMILARITY


@dataclass(frozen=True)
class _Model:
    """An embedding model this knowledge base has loaded: its file, identity and query conventions."""

    path: str
    ident: EmbedderIdentity
    query_prefix: str
    floor: float


def _as_choice(embedder: str | Path) -> str:
    """A stored choice: an absolute path for a file, the one spelling of a remote model, else the name."""
    text = str(embedder)
    if is_remote_embedder(text):
        return remote.canonical(text)
    path = Path(text).expanduser()
    return str(path.resolve()) if models.is_path_choice(text) or path.is_file() else text.strip()


class KnowledgeBase:
    """Collections of documents in ``store``, embedded through ``runtime`` (its own worker when None);
    ``embedder``: the model of collections that name none, and of new ones by default."""

    def __init__(self, store: Store, runtime: Runtime | None = None, *, embedder: str | Path | None = None) -> None:
        self.store = store
        self._own_runtime = runtime is None
        self.runtime = runtime or Runtime()
        self._default = _as_choice(embedder) if embedder else None
        self._models: dict[str, _Model] = {}          # by resolved path
        self._active: str | None = None               # the path this knowledge base loaded last
        self._languages: dict[tuple[str, int, int], str] = {}
        self._shares: dict[tuple[int, int, int], float] = {}
        self._floors: dict[str, float] = {}           # collection name -> its model's floor, at the last search
        self._embedded_by: dict[str, str] = {}        # collection name -> its model's key, at the last search
        self._question = ""                           # the last question searched
        self._resolved: dict[str, Path] = {}          # choice -> its file
        self._remotes: dict[str, RemoteEmbedder] = {}  # remote://backend/model -> the backend's model in use
        self._suggested: tuple[tuple[str, int], ...] | None = None
        self.min_similarity = DEFAULT_MIN_SIMILARITY
        filled = terms.fill_missing(store)    # a database indexed before the terms index (m005)
        if filled:
            log.info("Filled the keyword terms of %d chunks indexed before this version", filled)
        self._retriever = Retriever(self.conn, self._embed_query)

    @property
    def conn(self):  # type: ignore[no-untyped-def]
        return self.store.db.conn

    def close(self) -> None:
        self._retriever.close()
        if self._own_runtime:
            self.runtime.close()

    # --- collections ------------------------------------------------------------
    def create(self, name: str, embedder: str | Path | None = None) -> Collection:
        """A new collection embedded by ``embedder`` (a .gguf path or an installed model's name; it must
        exist), else by the default embedder."""
        choice = self._checked_choice(embedder) if embedder else self.default_embedder()
        return library.create(self.conn, name, choice)

    def delete(self, name: str) -> None:
        library.delete(self.conn, name)

    def rename(self, name: str, new_name: str) -> Collection:
        return library.rename(self.conn, name, new_name)

    def collections(self) -> list[Collection]:
        return library.all_collections(self.conn)

    def collection(self, name: str) -> Collection:
        return library.get(self.conn, name)

    def add(self, name: str, paths: Iterable[str | Path]) -> list[str]:
        return library.add_sources(self.conn, name, paths)

    def remove_source(self, name: str, path: str | Path) -> bool:
        return library.remove_source(self.conn, name, path)

    def status(self, name: str) -> CollectionStatus:
        """Counts, problems, and what is wrong with the collection's embedding model (if anything)."""
        status = library.status(self.conn, name)
        return replace(status, embedder_warning=self.embedder_warning(status.collection, chunks=status.chunks))

    def scan(self, name: str) -> _scan.FolderScan:
        return _scan.scan(self.conn, library.get(self.conn, name))

    def retry_failed(self, name: str) -> int:
        return _scan.retry_failed(self.conn, library.get(self.conn, name))

    # --- each collection's embedding model ---------------------------------------
    def default_embedder(self) -> str | None:
        """The model new collections get: the one this knowledge base was given, else the installed default
        (found once: without the starter it takes reading the installed models' headers)."""
        if self._default is None:
            self._default = models.default_choice(self.store)
        return self._default

    def set_default_embedder(self, embedder: str | Path) -> None:
        """Make ``embedder`` the model of collections that name none (a file, a name or ``remote://…``)."""
        self._default = _as_choice(embedder)

    def embedder_choice(self, coll: Collection) -> str | None:
        """What ``coll`` is embedded with: its own choice, else the default (None: no model installed)."""
        return coll.embedder or self.default_embedder()

    def embedder_options(self) -> list[models.EmbedderOption]:
        """Installed embedding models and the catalog's, for a picker (see ``embedders.embedder_options``)."""
        return models.embedder_options(self.store)

    def set_embedder(self, name: str, embedder: str | Path) -> int:
        """Give collection ``name`` another embedding model; returns how many chunks its next indexing run
        embeds again (0 when it is the same model). Until that run, keyword search works as before and
        semantic search is off for it."""
        coll = library.get(self.conn, name)
        choice = self._checked_choice(embedder)
        same = False
        old = self.embedder_choice(coll)
        if is_remote_embedder(choice) or is_remote_embedder(old):
            same = old == choice
        else:
            try:
                same = Path(self._resolve(coll)).resolve() == models.resolve_embedder(choice, self.store).resolve()
            except errors.EmbeddingModelMissing:
                pass  # the old model is gone: anything is a change
        library.set_embedder(self.conn, coll.name, choice)
        if same or not coll.embed_model:
            return 0
        return library.status(self.conn, coll.name).chunks

    def embedder_warning(self, coll: Collection | str, *, chunks: int | None = None) -> EmbedderWarning | None:
        """Why semantic search cannot work well for the collection, or None: its model file is missing, or it
        is English-only while the collection's text is mostly Chinese."""
        coll = library.get(self.conn, coll) if isinstance(coll, str) else coll
        choice = self.embedder_choice(coll)
        if choice is None:
            return None   # nothing installed at all: indexing says so
        if is_remote_embedder(choice):
            backend, model_id = remote.parse_embedder(choice) or ("", "")
            if backend not in {b.name for b in Backends(self.store).list(with_keys=False)}:
                gone = errors.BackendNotFound(f"There is no backend named {backend!r}.", params={"name": backend})
                return EmbedderWarning("missing", coll.name, choice, self._missing(coll, choice, gone).full_text())
            language = models.languages_of(model_id)
        else:
            try:
                language = self._language(self._resolve_choice(choice))
            except errors.EmbeddingModelMissing as exc:
                missing = self._missing(coll, choice, exc)
                return EmbedderWarning("missing", coll.name, choice, missing.full_text())
        if language != models.ENGLISH:
            return None
        share = self._cjk_share(coll, chunks)
        if share <= CHINESE_SHARE:
            return None
        suggestions = self._suggestions()
        offered = " or ".join(f"{n} ({size / 1e9:.2f} GB download)" for n, size in suggestions)
        model = Path(choice).name if models.is_path_choice(choice) and not is_remote_embedder(choice) else choice
        return EmbedderWarning(
            "english_only", coll.name, model,
            f"“{coll.name}” is mostly Chinese ({share:.0%} of its text), but its embedding model {model} "
            f"understands only English: semantic search will not understand Chinese questions or passages "
            f"(keyword search still works). Choose a multilingual model such as {offered}: "
            f"hearth kb embedder \"{coll.name}\" MODEL, or Embedding model in the Knowledge window.",
            share, suggestions)

    def _checked_choice(self, embedder: str | Path) -> str:
        """``embedder`` as a collection stores it, after checking it exists and is an embedding model (a
        remote one: its backend is configured and its server answers with embeddings)."""
        choice = _as_choice(embedder)
        if is_remote_embedder(choice):   # asked of the server now, not from what an earlier call found
            self._remotes.pop(choice, None)
            self._models.pop(choice, None)
            self._remote(choice)
            return choice
        path = models.resolve_embedder(choice, self.store)
        models.check_embedder(path)
        starter = models.starter_embedder() if not models.is_path_choice(choice) else None
        return models.STARTER_NAME if starter is not None and starter.resolve() == path.resolve() else choice

    def _resolve(self, coll: Collection | None) -> Path | str:
        """The model file of ``coll`` (None: the default), or an error naming both and the way out; for a
        model on a remote backend, its ``remote://`` spelling."""
        choice = self.embedder_choice(coll) if coll is not None else self.default_embedder()
        if choice is None:
            raise errors.EmbeddingModelMissing(
                "No embedding model is installed; the knowledge base needs one to index documents.",
                reason="none_installed")
        if is_remote_embedder(choice):
            return choice
        try:
            return self._resolve_choice(choice)
        except errors.EmbeddingModelMissing as exc:
            if coll is None:
                raise
            raise self._missing(coll, choice, exc) from None

    def _resolve_choice(self, choice: str) -> Path:
        """``embedders.resolve_embedder``, remembered while the file is there: a search resolves each
        collection's model, and finding a model by name reads every installed model's header."""
        cached = self._resolved.get(choice)
        if cached is not None and cached.is_file():
            return cached
        path = models.resolve_embedder(choice, self.store)
        self._resolved[choice] = path
        return path

    @staticmethod
    def _missing(coll: Collection, choice: str, exc: errors.HearthError) -> errors.EmbeddingModelMissing:
        return errors.EmbeddingModelMissing(
            f"The embedding model of the collection “{coll.name}” is missing: {exc.message} Semantic search is "
            f"off for it; keyword search still works.", path=exc.path,
            hint=f"Choose another embedding model for it (hearth kb embedder \"{coll.name}\" MODEL, or Embedding "
                 f"model in File → Knowledge…), or download or import “{choice}” again.")

    def _language(self, path: Path) -> str:
        stat = path.stat()
        key = (str(path), stat.st_mtime_ns, stat.st_size)
        if key not in self._languages:
            try:
                self._languages[key] = models.describe_embedder(path).languages
            except errors.ModelError:
                self._languages[key] = models.UNKNOWN
        return self._languages[key]

    def _cjk_share(self, coll: Collection, chunks: int | None) -> float:
        """The CJK share of a sample of the collection's chunks (spread over it by id)."""
        from engine.knowledge.normalize import cjk_share

        if chunks is None:
            chunks = library.status(self.conn, coll.name, problems_limit=0).chunks
        key = (coll.id, coll.vectors_version, chunks)
        if key not in self._shares:
            low, high = self.conn.execute("SELECT min(id), max(id) FROM kb_chunks WHERE collection_id = ?",
                                          (coll.id,)).fetchone()
            texts: list[str] = []
            if low is not None:
                for i in range(SAMPLE_CHUNKS):
                    row = self.conn.execute(
                        "SELECT substr(text, 1, 600) FROM kb_chunks WHERE collection_id = ? AND id >= ? "
                        "ORDER BY id LIMIT 1", (coll.id, low + (high - low) * i // SAMPLE_CHUNKS)).fetchone()
                    if row is not None:
                        texts.append(row[0])
            self._shares[key] = cjk_share("\n".join(texts))
        return self._shares[key]

    def _suggestions(self) -> tuple[tuple[str, int], ...]:
        """(name, download size) of the catalog's multilingual models offered instead of an English one."""
        if self._suggested is None:
            from engine.models.catalog import CatalogError, load_catalog
            try:
                catalog = load_catalog()
            except CatalogError:
                catalog = None
            entries = [catalog.get(i) for i in SUGGESTED] if catalog is not None else []
            self._suggested = tuple((e.name, e.files[0].model_bytes) for e in entries if e is not None)
        return self._suggested

    # --- embeddings ---------------------------------------------------------------
    def embedder(self, name: str | None = None) -> EmbedderIdentity:
        """The embedding model of collection ``name`` (None: the default one), loaded in the runtime's worker."""
        return self._use(self._resolve(library.get(self.conn, name) if name is not None else None)).ident

    def _use(self, path: Path | str) -> _Model:
        """The model at ``path``, loaded into the runtime's worker unless it is the one there now (a remote
        one: its backend found and its vectors' size asked once)."""
        if is_remote_embedder(path):
            model = self._models.get(str(path))
            if model is None:
                found = self._remote(str(path))
                doc, query, floor = _profile(found.model)
                model = _Model(found.spelling, EmbedderIdentity(found.spelling, "", found.dim, doc), query, floor)
                self._models[found.spelling] = model
            self._active = model.path
            return model
        key = str(Path(path).resolve())
        loaded = self.runtime.embedder
        model = self._models.get(key)
        if model is None or loaded is None or loaded.path != key or loaded.sha256 != model.ident.sha256:
            info = self.runtime.load_embedder(key)
            doc, query, floor = _profile(f"{info.name} {Path(info.path).name}")
            model = _Model(key, EmbedderIdentity(info.name, info.sha256, info.dim, doc), query, floor)
            self._models[key] = model
        self._active = key
        return model

    def _remote(self, spelling: str) -> RemoteEmbedder:
        """The backend's embedding model ``spelling`` names: its backend read from the store (the key from
        the keychain) and the size of its vectors asked of the server, once (again after a failure)."""
        found = self._remotes.get(spelling)
        if found is None:
            backend, _ = remote.parse_embedder(spelling) or ("", "")
            found = remote.open_embedder(spelling, Backends(self.store).get(backend))
            self._remotes[found.spelling] = found
        return found

    def embed(self, texts: list[str]) -> np.ndarray:
        """Vectors of ``texts`` by the model loaded last (the default one when none was)."""
        model = self._use(self._active or self._resolve(None))
        if not is_remote_embedder(model.path):
            return self.runtime.embed(texts)
        try:
            return self._remote(model.path).embed(texts)
        except errors.RemoteError:
            self._remotes.pop(model.path, None)   # asked afresh next time: the key or the server may change
            self._models.pop(model.path, None)
            raise

    def _embed_by(self, path: Path | str, dim: int) -> Callable[[list[str]], np.ndarray]:
        def embed(texts: list[str]) -> np.ndarray:
            self._use(path)   # a search between two batches may have loaded another collection's model
            vectors = self.embed(texts)
            if texts and vectors.shape[1] != dim:   # never two sizes in one index
                raise errors.KnowledgeError(
                    f"The embedding model's vectors changed size while indexing ({dim} → {vectors.shape[1]}).",
                    hint="Index the collection again: all its vectors are then made by the model as it is now.")
            return vectors
        return embed

    def _embed_query(self, model_key: str, text: str) -> np.ndarray | None:
        """``text`` embedded as a question by the model ``model_key``; None when that model cannot be
        loaded now (its file is gone or changed): those collections are searched by keyword only."""
        path = self._path_of_key(model_key)
        if path is None:
            return None
        try:
            model = self._use(path)
            if model.ident.key != model_key:
                return None
            return self.embed([model.query_prefix + text])[0]
        except errors.RemoteError as exc:   # the server is down or changed: keyword search meanwhile
            log.warning("keyword search only for the collections embedded by %s: %s", model_key, exc)
            return None

    def _path_of_key(self, model_key: str) -> str | None:
        """The file of the model that embedded the collections marked ``model_key``: the model each of them
        names now, unless that is another one (a switch whose re-embedding has not run yet). A remote
        model's key is its spelling, so a collection is searched by it only while it still names it."""
        for coll in self.collections():
            if coll.embed_model != model_key:
                continue
            choice = self.embedder_choice(coll)
            if is_remote_embedder(choice) or is_remote_embedder(model_key):
                if choice == model_key:
                    return model_key
                continue
            try:
                path = str(Path(self._resolve(coll)).resolve())
            except errors.EmbeddingModelMissing as exc:
                log.info("keyword search only for %s: %s", coll.name, exc)
                continue
            known = self._models.get(path)
            if known is None or known.ident.key == model_key:
                return path
        return None

    # --- indexing -----------------------------------------------------------------
    def index(self, name: str, *, cancel: CancelToken | None = None, pause: threading.Event | None = None,
              rescan: bool = True, **limits: float) -> Iterator[IndexProgress]:
        """Scan the sources (unless ``rescan`` is False), then work through the queue, yielding progress.

        The collection's own model embeds it; when that model changed since the last run, every chunk is
        embedded again (``adopt_embedder``)."""
        if rescan:
            self.scan(name)
        coll = library.get(self.conn, name)
        path = self._resolve(coll)
        ident = self._use(path).ident
        adopt_embedder(self.conn, coll, ident)  # changes the model and version only; run() needs the id and name
        indexer = Indexer(self.conn, self._embed_by(path, ident.dim), ident, **limits)  # type: ignore[arg-type]
        yield from indexer.run(coll, cancel=cancel, pause=pause)

    # --- search -------------------------------------------------------------------
    def search(self, names: Sequence[str] | Sequence[Collection], query: str, *, k: int = 6,
               mode: str | None = None) -> list[Hit]:
        """The ``k`` best passages; ``mode``: one of ``retrieval.MODES`` (None: ``retrieval.DEFAULT_MODE``)."""
        # read afresh: a collection passed in may be stale (its vectors' version may have moved on)
        fresh = [library.by_id(self.conn, n.id) if isinstance(n, Collection) else library.get(self.conn, n)
                 for n in names]
        self._floors = {c.name: _profile(c.embed_model.split("@")[0])[2] for c in fresh if c.embed_model}
        self.min_similarity = min(self._floors.values(), default=DEFAULT_MIN_SIMILARITY)
        self._embedded_by = {c.name: c.embed_model for c in fresh if c.embed_model}
        self._question = query
        return self._retriever.search(fresh, query, k=k, mode=mode or DEFAULT_MODE)

    def relevant(self, hits: Sequence[Hit], question: str | None = None) -> list[Hit]:
        """Hits close enough to ``question`` (default: the last one searched) to count as found.

        Each collection's model has its own cosine floor. Where that model cannot understand the question
        (``retrieval.vector_weight``: an English-only model asked a mostly Chinese question), its cosine
        says nothing, and a hit counts only by the question's words it holds (``lexical_evidence``)."""
        question = self._question if question is None else question
        wanted = content_terms(normalize.query_terms(question))
        foreign = {name for name, model in self._embedded_by.items()
                   if vector_weight(model, question) < VECTOR_WEIGHT}
        out = []
        for h in hits:
            if h.collection in foreign:
                if lexical_evidence(h, wanted):
                    out.append(h)
            elif h.vector_score is not None and h.vector_score >= self._floors.get(h.collection,
                                                                                    self.min_similarity):
                out.append(h)
        return out


def content_terms(query: Sequence[str]) -> list[str]:
    """The question's terms that can be evidence: not a bigram holding a function character (see
    ``FUNCTION_CHARACTERS``)."""
    return [t for t in dict.fromkeys(query) if not any(c in FUNCTION_CHARACTERS for c in t)]


def lexical_evidence(hit: Hit, wanted: Sequence[str]) -> bool:
    """Whether ``hit`` holds ``LEXICAL_TERMS`` of the question's content terms ``wanted`` (all, when fewer)."""
    if not wanted:
        return False
    held = set(terms.chunk_terms(hit.heading, hit.text).split())
    return sum(t in held for t in wanted) >= min(LEXICAL_TERMS, len(wanted))
