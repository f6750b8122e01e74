"""``hearth kb …`` and ``hearth ask --kb``: knowledge collections from a terminal.

``kb add`` records folders and files and indexes them at once (Ctrl+C
pauses; the next ``kb add``, ``kb index`` or ``kb status --index`` resumes
where it stopped). ``kb search`` prints ranked hits, ``--json`` for
scripts. ``ask`` answers a question from a collection, with its sources.
Each collection has its own embedding model: chosen by ``kb create
--embedder``, changed by ``kb embedder`` (which re-embeds it), listed with
the installed and downloadable ones by ``kb embedders``. Wherever a model
is taken, one on a remote backend can be named ``remote://BACKEND/MODEL``.
"""
from __future__ import annotations

import argparse
import json
import signal
import sys
import threading
from pathlib import Path
from typing import TYPE_CHECKING, Any

from desktop.cli.terminal import json_text, visible

if TYPE_CHECKING:
    from engine.home import Engine


def add_parser(sub: Any) -> None:
    kb = sub.add_parser("kb", help="knowledge collections: your documents, searchable by the models")
    ksub = kb.add_subparsers(dest="action", required=True)
    ksub.add_parser("list", help="collections and their sizes")
    create = ksub.add_parser("create", help="create an empty collection")
    create.add_argument("name", help="the new collection's name")
    create.add_argument("--embedder", metavar="MODEL",
                        help="its embedding model: a .gguf file, an installed model's name, or a backend's model as "
                             "remote://BACKEND/MODEL (default: the installed default, all-MiniLM-L6-v2, English "
                             "only); see `hearth kb embedders`")
    add = ksub.add_parser("add", help="add folders or files to a collection and index them")
    add.add_argument("name", help="the collection (made now if it does not exist)")
    add.add_argument("paths", nargs="+", help="folders or files to add")
    add.add_argument("--no-index", action="store_true", help="only record them; index later")
    index = ksub.add_parser("index", help="re-scan a collection's folders and index what changed")
    index.add_argument("name", help="the collection")
    index.add_argument("--retry-failed", action="store_true", help="try the files that failed again")
    status = ksub.add_parser("status", help="files, chunks, failures of a collection")
    status.add_argument("name", help="the collection")
    status.add_argument("--json", action="store_true", help="print JSON, for scripts")
    rm = ksub.add_parser("rm", help="delete a collection (your files are not touched)")
    rm.add_argument("name", help="the collection")
    search = ksub.add_parser("search", help="ranked passages for a query")
    search.add_argument("name", help="the collection")
    search.add_argument("query", help="what to look for, in your own words")
    search.add_argument("--k", type=int, default=5, help="how many passages to show (default: 5)")
    search.add_argument("--json", action="store_true", help="print JSON, for scripts")
    search.add_argument("--mode", choices=("hybrid+rerank", "hybrid", "keyword", "vectors"),
                        default="hybrid+rerank", help="keyword or vector search alone, both fused, or fused and "
                                                      "reranked (default, as chats use)")
    for p in (add, index, search):
        p.add_argument("--embedder", help="the embedding model (a .gguf file or remote://BACKEND/MODEL) of a "
                                          "collection made now and of those with none chosen (default: the "
                                          "installed one)")
    switch = ksub.add_parser("embedder", help="give a collection another embedding model (re-embeds it)")
    switch.add_argument("name", help="the collection")
    switch.add_argument("model", help="a .gguf file, an installed model's name (see `hearth kb embedders`) or a "
                                      "backend's model as remote://BACKEND/MODEL")
    switch.add_argument("--no-index", action="store_true", help="only record the choice; re-embed later")
    listing = ksub.add_parser("embedders", help="embedding models: installed and to download, their languages, "
                                                "sizes and memory")
    listing.add_argument("--json", action="store_true", help="print JSON, for scripts")

    ask = sub.add_parser("ask", help="answer a question from your documents, citing them")
    ask.add_argument("question", help="the question to answer")
    ask.add_argument("--kb", required=True, action="append", help="collection to search (repeatable)")
    ask.add_argument("--model", help="a .gguf chat model (default: the starter model)")
    ask.add_argument("--embedder", help="a .gguf embedding model or remote://BACKEND/MODEL (default: the installed "
                                        "one)")
    ask.add_argument("--documents-only", action="store_true",
                     help="say so when the documents do not contain the answer, instead of answering from memory")
    ask.add_argument("--ctx", type=int, help="context size in tokens")
    ask.add_argument("--max-tokens", type=int, default=512, help="the longest answer, in tokens (default: 512)")
    ask.add_argument("--seed", type=int, help="random seed, to repeat an answer exactly (default: a new one)")
    ask.add_argument("--temperature", type=float,
                     help="randomness: 0 always picks the likeliest word (default: 0.7)")


def run(args: argparse.Namespace) -> int:
    from engine import open_home
    from engine.remote.embeddings import is_remote_embedder

    # One engine for the home (its runtime's worker starts only when a model is needed); --embedder
    # is the knowledge base's embedding model, for `kb` and for the chat behind `ask` alike.
    # `kb create --embedder` names the new collection's own model instead (a file or an installed name).
    override = getattr(args, "embedder", None) if getattr(args, "action", None) != "create" else None
    remote = is_remote_embedder(override)   # a spelling, not a path: it must not pass through Path()
    with open_home(embedder=None if remote else override).engine() as eng:
        if remote:
            eng.knowledge.set_default_embedder(override)
        if args.command == "ask":
            return _ask(args, eng)
        return int(_ACTIONS[args.action](args, eng.knowledge) or 0)


def _list(_args: argparse.Namespace, kb: Any) -> int:
    for coll in kb.collections():
        st = kb.status(coll.name)
        sources = ", ".join(visible(source) for source in coll.sources)
        print(f"{visible(coll.name)}: {st.files['indexed']} files, {st.chunks} chunks, {st.files['failed']} failed, "
              f"{st.files['skipped']} skipped, {st.pending} waiting · {sources or 'no folders yet'}")
    return 0


def _create(args: argparse.Namespace, kb: Any) -> int:
    coll = kb.create(args.name, embedder=args.embedder)
    print(f"Created “{visible(coll.name)}”, embedded by {visible(_model_name(kb.embedder_choice(coll)))}. "
          f"Add folders with: hearth kb add {json.dumps(coll.name)} PATH")
    return 0


def _model_name(choice: str | None) -> str:
    """A collection's model as people call it: the file's name, or the installed model's."""
    from engine.models.embedders import is_path_choice
    from engine.remote.embeddings import is_remote_embedder
    if not choice:
        return "none installed yet"
    return Path(choice).name if is_path_choice(choice) and not is_remote_embedder(choice) else choice


def _add(args: argparse.Namespace, kb: Any) -> int:
    from engine.errors import CollectionNotFound
    try:
        coll = kb.collection(args.name)
    except CollectionNotFound:
        kb.create(args.name)
    else:
        if args.embedder and coll.embedder and kb.embedder_choice(coll) != kb.default_embedder():
            print(f"“{visible(coll.name)}” keeps its embedding model {visible(_model_name(coll.embedder))}; "
                  f"to change it: hearth kb embedder {json.dumps(coll.name)} MODEL", file=sys.stderr)
    for path in kb.add(args.name, args.paths):
        print(f"Added {visible(path)}")
    return 0 if args.no_index else _index(args, kb)


def _index(args: argparse.Namespace, kb: Any) -> int:
    from engine.knowledge.indexer import IndexProgress
    if getattr(args, "retry_failed", False):
        kb.retry_failed(args.name)
    pause = threading.Event()
    signal.signal(signal.SIGINT, lambda *_: pause.set())
    last: IndexProgress | None = None
    for progress in kb.index(args.name, pause=pause):
        last = progress
        eta = f", about {progress.eta_s:.0f} s left" if progress.eta_s is not None else ""
        sys.stderr.write(f"\r{progress.done}/{progress.total} files · {progress.chunks} chunks · "
                         f"{progress.failed} failed{eta}   ")
        sys.stderr.flush()
    sys.stderr.write("\n")
    if last is not None and last.state == "paused":
        print(f"Paused. Run `hearth kb index {json.dumps(args.name)}` to go on.", file=sys.stderr)
    return _status(argparse.Namespace(name=args.name, json=False), kb)


def _status(args: argparse.Namespace, kb: Any) -> int:
    st = kb.status(args.name)
    warning = st.embedder_warning
    if args.json:
        print(json_text({"name": st.collection.name, "sources": list(st.collection.sources), "files": st.files,
                          "chunks": st.chunks, "embedded": st.embedded, "pages": st.pages,
                          "bytes": st.bytes_indexed, "embed_model": st.collection.embed_model,
                          "embedder": kb.embedder_choice(st.collection), "state": st.collection.state,
                          "embedder_warning": None if warning is None else {
                              "kind": warning.kind, "model": warning.model, "message": warning.message},
                          "problems": [p.__dict__ for p in st.problems]}, indent=2))
        return 0
    partly = sum(p.status == "indexed" for p in st.problems)
    print(f"{visible(st.collection.name)}: {st.files['indexed']} files indexed"
          + (f" ({partly} only in part)" if partly else "") + f" ({st.chunks} chunks, {st.pages} pages), "
          f"{st.files['failed']} failed, {st.files['skipped']} skipped, {st.pending} waiting · "
          f"embeddings: {visible(st.collection.embed_model) or 'none yet'}")
    print(f"  embedding model: {visible(_model_name(kb.embedder_choice(st.collection)))}"
          + ("" if st.collection.embedder else " (the default)"))
    if warning is not None:
        print(f"  warning: {visible(warning.message, newlines=True)}")
    for problem in st.problems:   # failed, indexed (in part: a per-file limit), skipped: each with its reason
        label = "indexed in part" if problem.status == "indexed" else problem.status
        print(f"  {label}: {visible(problem.path)} — {visible(problem.reason)}")
    unlisted = st.files["failed"] + st.files["skipped"] - sum(p.status != "indexed" for p in st.problems)
    if unlisted > 0:
        print(f"  … and {unlisted} more failed or skipped files not listed")
    return 0


def _embedder(args: argparse.Namespace, kb: Any) -> int:
    """Switch a collection's embedding model, then re-embed it (unless --no-index)."""
    redo = kb.set_embedder(args.name, args.model)
    coll = kb.collection(args.name)
    model = visible(_model_name(coll.embedder))
    if not redo:
        print(f"“{visible(coll.name)}” now uses {model}; nothing to re-embed.")
        return 0 if args.no_index else _index(argparse.Namespace(name=coll.name), kb)
    print(f"“{visible(coll.name)}” now uses {model}: its {redo:,} chunk{'s' if redo != 1 else ''} will be "
          f"embedded again (keyword search keeps working meanwhile).")
    if args.no_index:
        print(f"Re-embed it with: hearth kb index {json.dumps(coll.name)}")
        return 0
    return _index(argparse.Namespace(name=coll.name), kb)


def _embedders(args: argparse.Namespace, kb: Any) -> int:
    from engine.models.files import format_bytes
    options = kb.embedder_options()
    if args.json:
        print(json_text([{"name": o.name, "installed": o.installed, "choice": o.choice, "languages": o.languages,
                          "dimensions": o.dim, "size_bytes": o.size_bytes, "memory_bytes": o.memory_bytes,
                          "path": str(o.path) if o.path else None, "repo": o.repo, "filename": o.filename}
                         for o in options], indent=2))
        return 0
    languages = {"multilingual": "multilingual (Chinese too)", "en": "English only", "unknown": "languages unknown"}
    for o in options:
        mark = "*" if o.installed else " "
        size = f"{format_bytes(o.size_bytes)} on disk" if o.installed else f"{format_bytes(o.size_bytes)} to download"
        print(f"{mark} {visible(o.name)} · {languages[o.languages]} · {o.dim or '?'} dimensions · {size} · "
              f"about {format_bytes(o.memory_bytes)} of memory")
        if o.installed:
            print(f"    use: hearth kb embedder NAME {json.dumps(o.choice)}")
        else:
            print(f"    get: hearth models pull {o.repo} {o.filename}")
    print("* installed")
    return 0


def _rm(args: argparse.Namespace, kb: Any) -> int:
    kb.delete(args.name)
    print(f"Deleted the collection “{visible(args.name)}”. Your files were not touched.")
    return 0


def _search(args: argparse.Namespace, kb: Any) -> int:
    hits = kb.search([args.name], args.query, k=args.k, mode=args.mode)
    if args.json:
        print(json_text([h.to_dict() for h in hits], indent=2))
        return 0
    if not hits:
        print("Nothing found.")
    for n, hit in enumerate(hits, 1):
        vec = f"{hit.vector_score:.3f}" if hit.vector_score is not None else "-"
        kw = f"{hit.keyword_score:.2f}" if hit.keyword_score is not None else "-"
        print(f"[{n}] {visible(hit.path)}" + (f" p.{hit.page}" if hit.page else "") +
              f" lines {hit.line_start}-{hit.line_end} · score {hit.order_score:.4f}"
              + (f" (rerank; fused {hit.score:.4f}," if hit.rerank_score is not None else " (")
              + f" cosine {vec}, bm25 {kw})")
        print("    " + visible(" ".join(hit.text.split())[:300]))
    return 0


def _ask(args: argparse.Namespace, eng: "Engine") -> int:
    from engine.chat.service import KnowledgeRetrieved, Piece, ReplyFinished
    from engine.knowledge import collections as library
    from engine.sampling import CancelToken, Sampling
    from engine.models.starter import starter_model

    model = args.model or starter_model()
    if not model:
        print("hearth: no chat model. Use --model PATH, or install one with `hearth models pull`.", file=sys.stderr)
        return 2
    store, runtime, chat = eng.store, eng.runtime, eng.chat
    colls = [library.get(store.db.conn, name) for name in args.kb]
    sampling = Sampling.from_dict({k: v for k, v in {"max_tokens": args.max_tokens, "seed": args.seed,
                                                     "temperature": args.temperature}.items() if v is not None})
    conv = store.create_conversation(model_path=str(model), ctx_size=args.ctx, sampling=sampling.to_dict())
    library.use_collections(store.db.conn, conv.id, [c.id for c in colls], documents_only=args.documents_only)
    cancel = CancelToken()
    signal.signal(signal.SIGINT, lambda *_: cancel.cancel())
    runtime.load(model, n_ctx=args.ctx)
    sources: tuple[Any, ...] = ()
    for event in chat.send(conv.id, args.question, sampling=sampling, cancel=cancel):
        if isinstance(event, KnowledgeRetrieved):
            sources = event.sources
        elif isinstance(event, Piece) and event.kind == "answer":
            sys.stdout.write(visible(event.text, newlines=True))
            sys.stdout.flush()
        elif isinstance(event, ReplyFinished):
            sys.stdout.write("\n")
            cited = set(event.message.record.get("knowledge", {}).get("cited", []))
            if sources:
                print("\nSources:")
            for n, hit in enumerate(sources, 1):
                mark = "*" if n in cited else " "
                print(f"{mark}[{n}] {visible(hit.path)}" + (f", page {hit.page}" if hit.page else "") +
                      f", lines {hit.line_start}–{hit.line_end} (score {hit.order_score:.4f})")
            print(f"[conversation {conv.id} · message {event.message.id}]", file=sys.stderr)
    return 0


_ACTIONS = {"list": _list, "create": _create, "add": _add, "index": _index, "status": _status, "rm": _rm,
            "search": _search, "embedder": _embedder, "embedders": _embedders}
