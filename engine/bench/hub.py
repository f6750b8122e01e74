"""Download throughput: Hearth's :func:`download_model` against a plain httpx streaming copy.

Both fetch the same file from the same hub in the same run, alternately, into
temporary folders on the same disk as ``out``; the plain copy follows the same
redirect and writes the bytes to a file, nothing else. Hearth's time includes
everything it does besides (metadata, incremental sha256, fsync, GGUF header
check, rename), so the ratio is the cost of a verified, resumable download.
The result goes to ``out`` as JSON; a CLI wraps this function.
"""
from __future__ import annotations

import json
import logging
import os
import shutil
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

from huggingface_hub import get_hf_file_metadata, hf_hub_url

from engine.hub.config import ENV_ENDPOINT, hub_endpoint
from engine.hub.download import download_model

try:
    import httpx2
except ImportError:  # huggingface_hub 1.x is built on httpx
    import httpx as httpx2  # type: ignore[no-redef]

log = logging.getLogger(__name__)


def _plain_copy(url: str, target: Path) -> int:
    """Stream ``url`` (redirects followed) to ``target``; the number of bytes."""
    n = 0
    with httpx2.Client(follow_redirects=True, timeout=60.0) as client, client.stream("GET", url) as resp:
        resp.raise_for_status()
        with open(target, "wb") as out:
            for chunk in resp.iter_raw(1 << 20):
                out.write(chunk)
                n += len(chunk)
    return n


def run_download_bench(out: Path, *, repo_id: str, filename: str, endpoint: str | None = None,
                       repeats: int = 3) -> dict[str, Any]:
    """Time ``repeats`` downloads each way (median counts); write and return the JSON result.

    ``endpoint`` defaults to :func:`hub_endpoint`; when given, ``HF_ENDPOINT`` is set to it for
    the duration of the run (download_model reads the endpoint from there).
    """
    endpoint = (endpoint or hub_endpoint()).rstrip("/")
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    saved = os.environ.get(ENV_ENDPOINT)
    os.environ[ENV_ENDPOINT] = endpoint
    work = Path(tempfile.mkdtemp(prefix="hearth-dlbench-", dir=out.parent))
    hearth_s: list[float] = []
    plain_s: list[float] = []
    try:
        meta = get_hf_file_metadata(hf_hub_url(repo_id, filename, endpoint=endpoint), endpoint=endpoint)
        size = int(meta.size or 0)
        url = hf_hub_url(repo_id, filename, revision=meta.commit_hash, endpoint=endpoint)
        for i in range(max(1, repeats)):
            start = time.perf_counter()
            got = _plain_copy(url, work / f"plain-{i}")
            plain_s.append(time.perf_counter() - start)
            (work / f"plain-{i}").unlink()
            if got != size:
                raise RuntimeError(f"plain copy of {filename} got {got} of {size} bytes")
            dest = work / f"hearth-{i}"
            start = time.perf_counter()
            download_model(repo_id, [filename], dest=dest)
            hearth_s.append(time.perf_counter() - start)
            shutil.rmtree(dest)
            log.info("run %d: plain %.2fs, hearth %.2fs", i + 1, plain_s[-1], hearth_s[-1])
    finally:
        shutil.rmtree(work, ignore_errors=True)
        if saved is None:
            os.environ.pop(ENV_ENDPOINT, None)
        else:
            os.environ[ENV_ENDPOINT] = saved
    hearth, plain = statistics.median(hearth_s), statistics.median(plain_s)
    result: dict[str, Any] = {
        "repo_id": repo_id, "filename": filename, "endpoint": endpoint, "size_bytes": size, "repeats": len(hearth_s),
        "hearth_s": round(hearth, 4), "plain_s": round(plain, 4),
        "hearth_mb_s": round(size / hearth / 1e6, 1), "plain_mb_s": round(size / plain / 1e6, 1),
        "ratio": round(plain / hearth, 3),   # Hearth's throughput as a fraction of the plain copy's
        "hearth_runs_s": [round(t, 4) for t in hearth_s], "plain_runs_s": [round(t, 4) for t in plain_s],
    }
    out.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    return result
