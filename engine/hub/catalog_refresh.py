"""Fill the catalog's sizes and hashes from the Hub: ``python -m engine.hub.catalog_refresh [PATH]``.

:func:`refresh` takes an injected ``fetch_metadata(repo, filename) -> (size, sha256)``
(:class:`HubMetadata` is the real one, one model-info request per repository) and
returns a new :class:`~engine.models.catalog.Catalog`; an entry becomes ``verified``
when every file of it has a hash. :func:`engine.models.catalog.save_catalog` writes it.
"""
from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

from engine.errors import HearthError, HubError, RemoteFileNotFound
from engine.models.catalog import DEFAULT_PATH, GB, Catalog, CatalogBlob, load_catalog, save_catalog

FetchMetadata = Callable[[str, str], "tuple[int, str | None]"]
_HEX64 = re.compile(r"^[0-9a-f]{64}$")


def _approx_gb(size: int) -> float:
    return max(round(size / GB, 3), 0.001)


def refresh(catalog: Catalog, fetch_metadata: FetchMetadata) -> Catalog:
    """A copy of ``catalog`` with every Hub file's size and sha256 from ``fetch_metadata(repo, filename)``;
    an entry becomes ``verified`` when every file of it has a hash. Errors from the fetcher propagate."""
    seen: dict[tuple[str, str], tuple[int, str | None]] = {}

    def fetch(repo: str, blob: CatalogBlob) -> CatalogBlob:
        key = (repo, blob.filename)
        if key not in seen:
            size, sha = fetch_metadata(repo, blob.filename)
            if isinstance(size, bool) or not isinstance(size, int) or size <= 0:
                raise HubError(f"The Hub gave no usable size for {repo}/{blob.filename}: {size!r}.")
            sha = sha.lower() if isinstance(sha, str) else None
            if sha is not None and not _HEX64.match(sha):
                raise HubError(f"The Hub gave no usable sha256 for {repo}/{blob.filename}: {sha!r}.")
            seen[key] = (size, sha)
        size, sha = seen[key]
        return replace(blob, size_bytes=size, sha256=sha, approx_size_gb=_approx_gb(size))

    entries = []
    for entry in catalog.entries:
        files = []
        for f in entry.files:
            mmproj = fetch(entry.repo, f.mmproj) if f.mmproj else None
            if f.parts:
                parts = tuple(fetch(entry.repo, p) for p in f.parts)
                size, sha = sum(p.size_bytes or 0 for p in parts), None
            else:
                parts = ()
                main = fetch(entry.repo, CatalogBlob(f.filename))
                size, sha = main.size_bytes or 0, main.sha256
            files.append(replace(f, size_bytes=size, sha256=sha, approx_size_gb=_approx_gb(size),
                                 mmproj=mmproj, parts=parts))
        verified = all(f.expected_sha256().keys() >= set(f.download_filenames()) for f in files)
        entries.append(replace(entry, files=tuple(files), verified=verified))
    return replace(catalog, entries=tuple(entries))


class HubMetadata:
    """The real ``fetch_metadata``: a repository's file sizes and LFS sha256 from the Hub's model
    info (one request per repository, cached by this object)."""

    def __init__(self) -> None:
        self._repos: dict[str, dict[str, tuple[int, str | None]]] = {}

    def __call__(self, repo: str, filename: str) -> tuple[int, str | None]:
        if repo not in self._repos:
            from huggingface_hub import HfApi   # imported here: loading the catalog needs no network stack

            from engine.hub.config import hub_endpoint
            from engine.hub.search import TIMEOUT, check_repo_id, hub_errors
            check_repo_id(repo)
            with hub_errors(repo):
                info = HfApi(endpoint=hub_endpoint()).model_info(repo, files_metadata=True, timeout=TIMEOUT)
            self._repos[repo] = {
                s.rfilename: (int(s.size if s.size is not None else (s.lfs.size if s.lfs else 0)),
                              s.lfs.sha256 if s.lfs is not None else None)
                for s in info.siblings or []}
        try:
            return self._repos[repo][filename]
        except KeyError:
            raise RemoteFileNotFound(f"{filename} is not in {repo}.", path=None) from None


def main(argv: list[str] | None = None) -> int:
    """``python -m engine.hub.catalog_refresh refresh [PATH]``: fill sizes and hashes from the Hub."""
    import sys
    args = sys.argv[1:] if argv is None else argv
    if not args or args[0] != "refresh" or len(args) > 2:
        print("usage: python -m engine.hub.catalog_refresh refresh [catalog.json]", file=sys.stderr)
        return 2
    path = Path(args[1]) if len(args) > 1 else DEFAULT_PATH
    try:
        catalog = refresh(load_catalog(path), HubMetadata())
    except HearthError as exc:
        print(exc.full_text(), file=sys.stderr)
        return 1
    save_catalog(catalog, path)
    print(f"{path}: {sum(e.verified for e in catalog.entries)} of {len(catalog.entries)} entries verified")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
