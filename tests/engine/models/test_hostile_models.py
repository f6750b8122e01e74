"""Hostile files in the models folder and at import: pipes, link loops, devices, and headers that
llama.cpp cannot load. Each is refused alone, with its reason, fast and in little memory; the valid
models beside them stay listed. Run with -s to see the worst time and peak memory per class."""
from __future__ import annotations

import os
import threading
import time
import tracemalloc
from pathlib import Path
from typing import Any, Callable, Iterator

import pytest

from engine import Store, errors, paths
from engine.models.files import describe_model, scan_models
from engine.models.installed import import_model
from tests.gguf_tools import DROP, VT, empty_string_array, tiny_gguf

LIMIT_S = 0.1
LIMIT_BYTES = 50 * 1024 * 1024
FIGURES: dict[str, tuple[float, int]] = {}


@pytest.fixture(scope="module", autouse=True)
def report() -> Iterator[None]:
    yield
    print("\nclass                          worst time   peak memory")
    for name, (seconds, peak) in sorted(FIGURES.items()):
        print(f"{name:30} {seconds * 1000:8.2f} ms  {peak / 1024:9.1f} KiB")


@pytest.fixture
def store() -> Iterator[Store]:
    with Store(paths().database) as opened:
        yield opened


def _measure(name: str, call: Callable[[], Any], limit_s: float = LIMIT_S) -> Any:
    """Run ``call`` twice: once timed, once under tracemalloc; record the worst figures for ``name``."""
    started = time.perf_counter()
    try:
        result: Any = call()
    except errors.HearthError as exc:
        result = exc
    seconds = time.perf_counter() - started
    tracemalloc.start()
    try:
        call()
    except errors.HearthError:
        pass
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    old = FIGURES.get(name, (0.0, 0))
    FIGURES[name] = (max(old[0], seconds), max(old[1], peak))
    assert seconds < limit_s, f"{name}: {seconds:.3f} s"
    assert peak < LIMIT_BYTES, f"{name}: {peak:,} bytes"
    return result


def _in_thread(call: Callable[[], Any], fifo: Path | None = None, timeout: float = 5.0) -> Any:
    """``call()`` in a thread; fail (instead of hanging the run) when it blocks, e.g. opening a FIFO."""
    box: dict[str, Any] = {}

    def run() -> None:
        try:
            box["value"] = call()
        except BaseException as exc:  # noqa: BLE001 - handed to the test
            box["error"] = exc

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    thread.join(timeout)
    if thread.is_alive():
        if fifo is not None:  # release the blocked reader: a writer that opens and closes
            os.close(os.open(fifo, os.O_WRONLY | os.O_NONBLOCK))
        thread.join(2)
        pytest.fail(f"blocked for more than {timeout} s")
    if "error" in box:
        raise box["error"]
    return box["value"]


def _folder(tmp_path: Path, smollm2_path: Path) -> Path:
    folder = tmp_path / "models"
    folder.mkdir()
    tiny_gguf(folder / "a-valid-tiny.gguf")
    (folder / "z-smollm2.gguf").symlink_to(smollm2_path)
    return folder


def _valid_listed(folder: Path) -> dict[str, str]:
    result = _in_thread(lambda: scan_models([folder]))
    assert sorted(m.path.name for m in result.models) == ["a-valid-tiny.gguf", "z-smollm2.gguf"]
    return {p.name: why for p, why in result.skipped}


# --- files that are not regular files ------------------------------------------------------------------

def test_fifo_is_skipped_and_never_blocks(tmp_path: Path, smollm2_path: Path, store: Store) -> None:
    folder = _folder(tmp_path, smollm2_path)
    fifo = folder / "x.gguf"
    os.mkfifo(fifo)
    reasons = _in_thread(lambda: _valid_listed(folder), fifo)
    assert "pipe" in reasons["x.gguf"].lower() and "x.gguf" in reasons["x.gguf"]
    err = _in_thread(lambda: _measure("fifo", lambda: import_model(store, fifo)), fifo)
    assert isinstance(err, errors.ModelInvalid) and "pipe" in str(err).lower() and "x.gguf" in str(err)
    with pytest.raises(errors.ModelInvalid):
        _in_thread(lambda: describe_model(fifo), fifo)


def test_symlink_loop_is_skipped_alone(tmp_path: Path, smollm2_path: Path, store: Store) -> None:
    folder = _folder(tmp_path, smollm2_path)
    (folder / "loop.gguf").symlink_to(folder / "loop.gguf")
    (folder / "ping.gguf").symlink_to(folder / "pong.gguf")
    (folder / "pong.gguf").symlink_to(folder / "ping.gguf")
    reasons = _valid_listed(folder)
    for name in ("loop.gguf", "ping.gguf", "pong.gguf"):
        assert "loops" in reasons[name] and name in reasons[name]
    err = _measure("symlink loop", lambda: import_model(store, folder / "loop.gguf"))
    assert isinstance(err, errors.ModelInvalid) and "loops" in str(err)


def test_dangling_link_is_skipped_with_its_reason(tmp_path: Path, smollm2_path: Path, store: Store) -> None:
    folder = _folder(tmp_path, smollm2_path)
    (folder / "gone.gguf").symlink_to(tmp_path / "deleted.gguf")
    reasons = _valid_listed(folder)
    assert "link to a file that does not exist" in reasons["gone.gguf"]
    err = _measure("dangling link", lambda: import_model(store, folder / "gone.gguf"))
    assert isinstance(err, errors.ModelNotFound) and "link" in str(err)


@pytest.mark.parametrize("device", ["/dev/zero", "/dev/urandom"])
def test_device_behind_a_link_is_never_read(tmp_path: Path, smollm2_path: Path, store: Store, device: str) -> None:
    folder = _folder(tmp_path, smollm2_path)
    (folder / "dev.gguf").symlink_to(device)
    reasons = _valid_listed(folder)
    assert "character device" in reasons["dev.gguf"]
    err = _in_thread(lambda: _measure("device via link", lambda: import_model(store, folder / "dev.gguf")))
    assert isinstance(err, errors.ModelInvalid) and "character device" in str(err)


# --- headers llama.cpp cannot load ---------------------------------------------------------------------

def _kv(**items: Any) -> dict[str, Any]:
    return {key.replace("__", "."): value for key, value in items.items()}


INVALID: dict[str, tuple[dict[str, Any], str]] = {
    "vocab 0 tokens": (dict(kv=_kv(tokenizer__ggml__tokens=(["x"], VT.ARRAY, VT.STRING), tokenizer__ggml__scores=DROP,
                                   tokenizer__ggml__token_type=DROP)), "0 tokens"),
    "vocab missing": (dict(kv=_kv(tokenizer__ggml__tokens=DROP)), "no vocabulary"),
    "vocab of ints": (dict(kv=_kv(tokenizer__ggml__tokens=(list(range(16)), VT.ARRAY, VT.INT32))),
                      "not an array of strings"),
    "vocab a string": (dict(kv=_kv(tokenizer__ggml__tokens=("abc", VT.STRING))), "not an array of strings"),
    "scores of bytes": (dict(kv=_kv(tokenizer__ggml__scores=([0] * 16, VT.ARRAY, VT.UINT8))),
                        "tokenizer.ggml.scores is not an array of float32"),
    "token types short": (dict(kv=_kv(tokenizer__ggml__token_type=([1] * 5, VT.ARRAY, VT.INT32))),
                          "tokenizer.ggml.token_type has 5 items"),
    "n_embd 0": (dict(kv=_kv(llama__embedding_length=(0, VT.UINT32))), "llama.embedding_length is 0"),
    "n_head 0": (dict(kv=_kv(llama__attention__head_count=(0, VT.UINT32))), "llama.attention.head_count is 0"),
    "block_count 513": (dict(kv=_kv(llama__block_count=(513, VT.UINT32))), "llama.block_count is 513"),
    "block_count 0": (dict(kv=_kv(llama__block_count=(0, VT.UINT32))), "llama.block_count is 0"),
    "block_count missing": (dict(kv=_kv(llama__block_count=DROP)), "no llama.block_count"),
    "block_count a string": (dict(kv=_kv(llama__block_count=("2", VT.STRING))), "llama.block_count is '2'"),
    "context length -1": (dict(kv=_kv(llama__context_length=(-1, VT.INT32))), "llama.context_length is -1"),
    "unknown architecture": (dict(arch="notarealarch"), "architecture 'notarealarch' is unknown"),
    "token_embd wrong shape": (dict(tensors={"token_embd.weight": (17, 8)}), "token_embd.weight has shape [8, 17]"),
    "token_embd missing": (dict(tensors={"token_embd.weight": None}), "token_embd.weight) is missing"),
    "block tensors missing": (dict(tensors={"blk.1.attn_norm.weight": None}), "block 1 (blk.1.*) are missing"),
    "block beyond count": (dict(tensors={"blk.7.attn_norm.weight": (8,)}), "tensors for block 7"),
}


@pytest.mark.parametrize("case", sorted(INVALID))
def test_header_llama_cpp_cannot_load_is_refused(case: str, tmp_path: Path, smollm2_path: Path,
                                                  store: Store) -> None:
    folder = _folder(tmp_path, smollm2_path)
    spec, reason = INVALID[case]
    if "arch" in spec:  # the keys follow the architecture
        spec = {**spec, "kv": {}}
    bad = tiny_gguf(folder / "bad.gguf", **spec)
    if case == "vocab 0 tokens":
        empty_string_array(bad, "tokenizer.ggml.tokens")
    err = _measure(f"header: {case}", lambda: import_model(store, bad))
    assert isinstance(err, errors.ModelInvalid), err
    assert "bad.gguf" in str(err) and reason in str(err), str(err)
    assert err.hint  # the way out
    assert store.conn.execute("SELECT COUNT(*) FROM models WHERE path LIKE '%bad.gguf'").fetchone()[0] == 0
    reasons = _valid_listed(folder)
    assert reason in reasons["bad.gguf"]


def test_real_models_still_pass(smollm2_path: Path, gemma3_path: Path, minilm_path: Path) -> None:
    for path in (smollm2_path, gemma3_path, minilm_path):
        model = _measure("valid real model (not a limit)", lambda: describe_model(path), limit_s=5.0)
        assert isinstance(model, type(describe_model(smollm2_path)))
