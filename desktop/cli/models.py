"""``hearth models …``: find, check the fit of, download, list, import and remove models.

Plain terminal output; progress goes to standard error as one updating line.
Everything here calls the engine (``engine.hub``, ``engine.models.installed``); no Qt.
"""
from __future__ import annotations

import argparse
import signal
import sys
from pathlib import Path
from typing import Any

from desktop.cli.terminal import visible
from engine.models.files import InstalledModel, format_bytes, format_parameters
from engine.paths import paths
from engine.sampling import CancelToken


def _store() -> Any:
    """The home's database, opened on demand (a spawned model worker re-imports this module: keep it light)."""
    from engine.home import open_home
    return open_home().store()


def add_parser(sub: Any) -> None:
    models = sub.add_parser("models", help="find, download and manage models")
    msub = models.add_subparsers(dest="action", required=True)
    msub.add_parser("list", help="installed models")
    search = msub.add_parser("search", help="search the Hub for GGUF models")
    search.add_argument("query", help="words in the repository's name, e.g. qwen2.5 1.5b")
    search.add_argument("--sort", choices=["downloads", "likes", "recent"], default="downloads",
                        help="order of the results (default: downloads)")
    search.add_argument("--limit", type=int, default=20, help="at most this many results (default: 20)")
    files = msub.add_parser("files", help="a repository's models, with sizes and whether they fit here")
    files.add_argument("repo", help="a Hub repository, OWNER/NAME, as `hearth models search` shows it")
    files.add_argument("--ctx", type=int, default=4096, help="context size to plan for")
    fit = msub.add_parser("fit", help="read a remote file's header and estimate its memory here")
    fit.add_argument("repo", help="a Hub repository, OWNER/NAME")
    fit.add_argument("file", help="the .gguf file in it, as `hearth models files` shows it")
    fit.add_argument("--ctx", type=int, default=4096, help="context size to plan for (default: 4096)")
    pull = msub.add_parser("pull", help="download a model (resumes a partial download)")
    pull.add_argument("repo", help="a Hub repository, OWNER/NAME")
    pull.add_argument("file", help="the .gguf file (for a split model, its first part)")
    rm = msub.add_parser("rm", help="remove an installed model")
    rm.add_argument("name", help="name or path, as `hearth models list` shows")
    imp = msub.add_parser("import", help="add a .gguf from elsewhere (by reference)")
    imp.add_argument("path", help="the .gguf file (it stays where it is)")


HUB_ACTIONS = ("search", "files", "fit", "pull")   # the commands that talk to the Hugging Face Hub


def run(args: argparse.Namespace) -> int:
    if args.action in HUB_ACTIONS:
        _refuse_when_offline(args.action)
    return int(_ACTIONS[args.action](args) or 0)


def _refuse_when_offline(action: str) -> None:
    """Offline mode (the window's Settings) means no network request at all, from the terminal too."""
    from desktop.prefs import Prefs   # QtCore's settings file reader only; no window
    if not Prefs(paths()).offline:
        return
    from engine import errors
    raise errors.HubOffline(
        f"Offline mode is on, so Hearth makes no network request: `hearth models {action}` cannot reach the "
        "Hugging Face Hub.", reason="offline_mode", params={"action": action},
        hint="Turn offline mode off in the window (File → Settings…), then try again. Installed models keep "
             "working.")


def _list(_args: argparse.Namespace) -> int:
    from engine.models.installed import installed_models
    with _store() as store:
        result = installed_models(store, paths().models)
    vision_dirs = {p.path.parent for p in result.projectors}
    rows = [(m.name, format_parameters(m.parameters), m.quantization, format_bytes(m.size_bytes),
             f"{m.context_length:,}", "vision" if m.path.parent in vision_dirs else "", str(m.path))
            for m in result.models]
    rows += [(m.name, format_parameters(m.parameters), m.quantization, format_bytes(m.size_bytes), "", "embedding",
              str(m.path)) for m in result.embedding]
    _table(("NAME", "PARAMS", "QUANT", "SIZE", "CONTEXT", "", "PATH"), rows)
    for path, reason in result.skipped:
        print(f"skipped {visible(path)}: {visible(reason)}", file=sys.stderr)
    return 0


def _search(args: argparse.Namespace) -> int:
    from engine.hub.search import search_repos
    repos = search_repos(args.query, sort=args.sort, limit=args.limit)
    _table(("REPOSITORY", "DOWNLOADS", "LIKES", "UPDATED"),
           [(r.repo_id, f"{r.downloads:,}", f"{r.likes:,}", str(r.last_modified or "")[:10]) for r in repos])
    _say_skipped(getattr(repos, "skipped", 0))
    return 0


def _files(args: argparse.Namespace) -> int:
    from engine.hub.fit import plan_repo
    from engine.machine import machine_memory
    machine = machine_memory()
    rows = []
    planned = plan_repo(args.repo, n_ctx=args.ctx, machine=machine)
    for row in planned:
        choice = row.choice
        rows.append(("★" if row.recommended else "", choice.quantization, format_bytes(choice.size_bytes),
                     format_bytes(row.estimate.total_bytes), row.fit.replace("_", " "),
                     choice.files[0].filename + (f" (+{len(choice.files) - 1} parts)" if len(choice.files) > 1 else "")
                     + (" + mmproj" if choice.mmproj else "")))
    print(f"This machine: {format_bytes(machine.available_ram)} of {format_bytes(machine.total_ram)} RAM free"
          + "".join(f", {visible(g.name)} {format_bytes(g.free)} free" for g in machine.gpus))
    _table(("", "QUANT", "FILE", f"NEEDS @{args.ctx}", "FIT", "NAME"), rows)
    _say_skipped(planned.skipped)
    return 0


def _say_skipped(skipped: int) -> None:
    """How many entries of the Hub's reply could not be read (malformed, or a name Hearth refuses)."""
    if skipped:
        print(f"{skipped} results could not be read and were skipped." if skipped > 1 else
              "1 result could not be read and was skipped.")


def _fit(args: argparse.Namespace) -> int:
    from engine.hub.fit import estimate_memory, fit_label, read_remote_header
    from engine.machine import machine_memory
    from engine.hub.search import list_model_files
    header = read_remote_header(args.repo, args.file)
    size = next((c.size_bytes for c in list_model_files(args.repo)
                 if any(f.filename == args.file for f in c.files)), header.file_size)
    estimate = estimate_memory(header.info, file_size=size, n_ctx=args.ctx)
    machine = machine_memory()
    info = header.info
    print(f"{visible(args.repo)}/{visible(args.file)}: {visible(info.architecture)}, {info.block_count} layers, "
          f"{info.head_count_kv} KV heads, trained context {header.context_length:,}"
          + ("" if header.context_known else " (not in the header: assumed)"))
    print(f"read {format_bytes(header.bytes_read)} of {format_bytes(size)} in {header.requests} range request(s)")
    print(f"at context {args.ctx:,}: weights {format_bytes(estimate.weights_bytes)} + KV cache "
          f"{format_bytes(estimate.kv_cache_bytes)} + compute {format_bytes(estimate.compute_bytes)} = "
          f"{format_bytes(estimate.total_bytes)}")
    print(f"this machine: {format_bytes(machine.available_ram)} RAM free → {fit_label(estimate, machine)}")
    return 0


def _pull(args: argparse.Namespace) -> int:
    from engine.hub.download import DownloadProgress, download_model
    from engine.hub.search import list_model_files
    from engine.models.installed import record_download
    choice = next((c for c in list_model_files(args.repo) if c.files[0].filename == args.file), None)
    names = [f.filename for f in choice.files] + ([choice.mmproj.filename] if choice.mmproj else []) \
        if choice else [args.file]
    cancel = CancelToken()
    previous = signal.signal(signal.SIGINT, lambda *_: cancel.cancel())

    def show(p: DownloadProgress) -> None:
        total = max(1, p.total_bytes)
        eta = f" {p.eta_s:.0f} s left" if p.eta_s is not None else ""
        print(f"\r{visible(p.filename)}: {p.state} {100 * p.done_bytes / total:5.1f}% of {format_bytes(p.total_bytes)} "
              f"{format_bytes(int(p.bytes_per_s))}/s{eta}   ", end="", file=sys.stderr, flush=True)
    try:
        files = download_model(args.repo, names, progress=show, cancel=cancel)
    finally:
        signal.signal(signal.SIGINT, previous)
        print(file=sys.stderr)
    with _store() as store:
        record_download(store, files[0], repo_id=args.repo,
                        sha256=choice.files[0].sha256 if choice else None)
    for path in files:
        print(visible(path))
    return 0


def resolve_model(name: str) -> Path:
    """The model ``name`` means: a file that exists, else the installed model of that name (as
    ``hearth models list`` prints it, the way ``ollama run NAME`` works); else ModelNotFound."""
    from engine import errors
    path = Path(name).expanduser()
    if path.is_file():
        return path.absolute()
    found = _find_installed(name)
    if found is None:
        raise errors.ModelNotFound(f"There is no file {name} and no installed model of that name.",
                                   hint="Give a .gguf path, or a name from `hearth models list`.",
                                   reason="no_file_or_name", params={"given": name})
    return found.path


def default_model(store: Any) -> Path | None:
    """The model a chat uses when none is named: the most recent conversation's model that still
    exists, else the starter model (None when neither is there)."""
    from engine.models.starter import starter_model
    for conv in store.conversations():
        if conv.model_path and Path(conv.model_path).is_file():
            return Path(conv.model_path)
    return starter_model()


def _find_installed(name: str) -> InstalledModel | None:
    from engine.models.installed import find_installed
    with _store() as store:
        return find_installed(store, paths().models, name)


def _rm(args: argparse.Namespace) -> int:
    from engine import errors
    from engine.models.installed import remove_model
    model = _find_installed(args.name)
    target = model.path if model else Path(args.name)
    if model is None and not target.exists():
        raise errors.ModelNotFound(f"No installed model is called {args.name!r}.",
                                   hint="See `hearth models list` for names and paths.")
    with _store() as store:
        deleted = remove_model(store, target, paths().models)
    print(f"removed {visible(target)}" + (f" (deleted {len(deleted)} file(s))" if deleted else " (file kept)"))
    return 0


def _import(args: argparse.Namespace) -> int:
    from engine.models.installed import import_model
    with _store() as store:
        model = import_model(store, args.path)
    print(f"imported {visible(model.label())}  ({visible(model.path)})")
    return 0


def _table(header: tuple[str, ...], rows: list[tuple[str, ...]]) -> None:
    """Columns of text; every cell escaped (names, paths and file names come from files and the Hub)."""
    shown = [tuple(visible(cell) for cell in row) for row in (header, *rows)]
    widths = [max(len(cell) for cell in column) for column in zip(*shown)]
    for row in shown:
        print("  ".join(cell.ljust(width) for cell, width in zip(row, widths)).rstrip())


_ACTIONS = {"list": _list, "search": _search, "files": _files, "fit": _fit, "pull": _pull, "rm": _rm,
            "import": _import}
