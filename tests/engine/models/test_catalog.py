"""The curated model catalog: the shipped file is well formed, the starter's hash is real,
recommend() follows the memory, refresh() fills sizes and hashes, save/load round-trip."""
from __future__ import annotations

import copy
import hashlib
import json
import re
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from engine.errors import HearthError, HubError, RemoteFileNotFound
from engine.models import catalog as cat
from engine.models.catalog import (
    Catalog,
    CatalogError,
    estimated_bytes,
    load_catalog,
    recommend,
    save_catalog,
)
from engine.hub import catalog_refresh
from engine.hub.catalog_refresh import HubMetadata, refresh
from tests.hub_server import FakeHub, hub  # noqa: F401

GB = 10 ** 9
SHIPPED = Path(__file__).resolve().parents[3] / "engine" / "models" / "catalog.json"
QUANT = re.compile(r"^(?:Q[2-8]_(?:0|1|K(?:_[SML])?)|IQ[1-4]_(?:XXS|XS|S|M|NL)|F16|BF16|F32)$")
REPO = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*/[A-Za-z0-9][A-Za-z0-9_.-]*$")
HEX64 = re.compile(r"^[0-9a-f]{64}$")


@pytest.fixture(scope="module")
def raw() -> dict[str, Any]:
    return json.loads(SHIPPED.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def shipped() -> Catalog:
    return load_catalog()


# --- the shipped catalog -----------------------------------------------------------------------

def _check_blob(b: dict[str, Any]) -> None:
    name = b["filename"]
    assert isinstance(name, str) and name.endswith(".gguf"), name
    assert "/" not in name and "\\" not in name and ".." not in name, name
    assert b["sha256"] is None or (isinstance(b["sha256"], str) and HEX64.match(b["sha256"])), name
    size = b["size_bytes"]
    assert size is None or (type(size) is int and size > 0), name
    approx = b.get("approx_size_gb")
    assert approx is None or (type(approx) in (int, float) and approx > 0), name
    assert size is not None or approx is not None, f"{name}: no size to pre-filter by fit"


def test_shipped_catalog_is_well_formed(raw: dict[str, Any]) -> None:
    assert raw["schema"] == cat.SCHEMA and "refresh" in raw["comment"] and "LFS" in raw["comment"]
    ids = [e["id"] for e in raw["entries"]]
    assert len(ids) == len(set(ids)) and len(ids) >= 15
    for e in raw["entries"]:
        assert re.match(r"^[a-z0-9][a-z0-9._-]*$", e["id"])
        assert all(isinstance(e[k], str) and e[k] for k in ("name", "repo", "licence", "description"))
        assert REPO.match(e["repo"]) and ".." not in e["repo"], e["repo"]
        assert type(e["parameters"]) is int and e["parameters"] > 10 ** 7
        # chat models hold a conversation; an embedding model (E5: 512 tokens) reads one passage at a time
        least = 512 if e["capabilities"] == ["embedding"] else 2048
        assert type(e["trained_context"]) is int and e["trained_context"] >= least
        assert ("dimensions" in e) == ("embedding" in e["capabilities"])
        assert "dimensions" not in e or (type(e["dimensions"]) is int and e["dimensions"] >= 64)
        assert e["capabilities"] and set(e["capabilities"]) <= cat.CAPABILITIES
        assert e["languages"] and all(re.match(r"^[a-z]{2,3}$", lang) for lang in e["languages"])
        assert e["chat_template_family"] is None or e["chat_template_family"] in cat.TEMPLATE_FAMILIES
        assert e["verified"] is False, "nothing was fetched from the Hub: no entry may claim to be verified"
        arch = e["architecture"]
        assert arch is None or all(type(arch[k]) is int and arch[k] > 0 for k in ("layers", "kv_heads", "head_dim"))
        quants = [f["quantization"] for f in e["files"]]
        assert quants and len(quants) == len(set(quants))
        for f in e["files"]:
            assert QUANT.match(f["quantization"]), f["quantization"]
            _check_blob(f)
            assert (f["mmproj"] is not None) == ("vision" in e["capabilities"]), e["id"]
            if f["mmproj"] is not None:
                _check_blob(f["mmproj"])
                assert "mmproj" in f["mmproj"]["filename"].lower()
            for part in f["parts"] or []:
                _check_blob(part)
        if "chat" in e["capabilities"] and "vision" not in e["capabilities"]:
            assert 2 <= len(e["files"]) <= 3, f"{e['id']}: offer 2-3 quantizations"


def test_nothing_unmeasured_claims_a_size_or_hash(raw: dict[str, Any]) -> None:
    """The catalog was written offline: only the measured starter has a size and a sha256."""
    for e in raw["entries"]:
        for f in e["files"]:
            for blob in [f, f["mmproj"] or {}, *(f["parts"] or [])]:
                assert blob.get("sha256") is None and blob.get("size_bytes") is None, e["id"]


def test_template_families_are_hearths_builtins() -> None:
    from engine.models import templates
    assert set(cat.TEMPLATE_FAMILIES) == set(templates._DISPLAY_NAMES)


def test_shipped_catalog_covers_sizes_vision_and_embeddings(shipped: Catalog) -> None:
    chat = shipped.chat_models()
    assert min(e.parameters for e in chat) < 1_000_000_000
    assert max(e.parameters for e in chat) >= 7_000_000_000
    assert len({e.parameters // 10 ** 9 for e in chat}) >= 4, "several sizes"
    vision = shipped.vision_models()
    assert vision and all(f.mmproj is not None for e in vision for f in e.files)
    english = shipped.embedding_models("en")
    chinese = shipped.embedding_models("zh")
    assert any(e.id == "nomic-embed-text-v1.5" for e in english)
    assert chinese and all(e.handles_chinese for e in chinese)
    assert all(e.capabilities == ("embedding",) for e in shipped.embedding_models())
    assert any(e.has("reasoning") for e in chat) and any(e.handles_chinese for e in chat)
    assert shipped.path == SHIPPED == cat.DEFAULT_PATH


def test_starter_is_measured_from_the_real_file(shipped: Catalog, smollm2_path: Path) -> None:
    from engine.models import starter
    from tests import model_files
    s = shipped.starter
    assert s is not None and shipped.get(s.entry_id) is not None
    assert f"{s.package}=={s.version}" == starter.STARTER_WHEEL == model_files.SMOLLM2[0]
    assert s.path_in_wheel == model_files.SMOLLM2[1] == f"{starter.STARTER_PACKAGE}/{starter.STARTER_FILE}"
    assert s.file.filename == starter.STARTER_FILE and s.file.quantization == "Q4_1"
    assert s.file.size_bytes == smollm2_path.stat().st_size
    assert s.file.sha256 == hashlib.sha256(smollm2_path.read_bytes()).hexdigest()


def test_find_and_download_names(shipped: Catalog) -> None:
    entry = shipped.vision_models()[0]
    f = entry.files[0]
    assert f.mmproj is not None
    assert shipped.find(entry.repo.upper(), f.filename) == (entry, f)
    assert shipped.find(entry.repo, f.mmproj.filename)[0] == entry  # type: ignore[index]
    assert shipped.find(entry.repo, "nope.gguf") is None
    assert shipped.find("someone/else", f.filename) is None
    assert f.download_filenames() == [f.filename, f.mmproj.filename]
    assert f.expected_sha256() == {}                 # nothing known yet
    assert f.total_bytes == int((f.approx_size_gb + f.mmproj.approx_size_gb) * GB)  # type: ignore[operator]


# --- recommend ---------------------------------------------------------------------------------

def test_recommend_picks_bigger_models_for_more_memory(shipped: Catalog) -> None:
    assert recommend(shipped, ram_bytes=100 * 1024 ** 2) is None
    assert recommend(shipped, ram_bytes=0) is None
    picks = [recommend(shipped, ram_bytes=int(gb * GB)) for gb in (0.7, 1, 2, 4, 8, 16, 64)]
    assert all(p is not None for p in picks)
    sizes = [p[0].parameters for p in picks]  # type: ignore[index]
    assert sizes == sorted(sizes) and sizes[0] < 1e9 and sizes[-1] >= 7e9
    big_entry, big_file = picks[-1]  # type: ignore[misc]
    assert big_file == min(big_entry.files, key=cat._quality), "plenty of memory: the best quantization"
    for gb, (entry, file) in zip((0.7, 1, 2, 4, 8, 16, 64), picks):  # type: ignore[misc]
        assert entry.has("chat") and not entry.has("vision")
        assert estimated_bytes(entry, file) <= 0.75 * gb * GB


def test_recommend_counts_vram_context_language_capability_and_exclusions(shipped: Catalog) -> None:
    ram = 3 * GB
    plain = recommend(shipped, ram_bytes=ram)
    with_gpu = recommend(shipped, ram_bytes=ram, vram_bytes=8 * GB)
    assert plain and with_gpu and with_gpu[0].parameters > plain[0].parameters
    long_ctx = recommend(shipped, ram_bytes=ram, n_ctx=32768)
    assert long_ctx and long_ctx[0].parameters < plain[0].parameters, "a long context leaves less for weights"
    assert estimated_bytes(*long_ctx, n_ctx=32768) <= 0.75 * ram < estimated_bytes(*plain, n_ctx=32768)
    zh = recommend(shipped, ram_bytes=8 * GB, language="zh")
    assert zh and zh[0].handles_chinese
    vision = recommend(shipped, ram_bytes=8 * GB, capability="vision")
    assert vision and vision[0].has("vision") and vision[1].mmproj is not None
    assert estimated_bytes(*vision) > vision[1].model_bytes + vision[1].mmproj.estimated_bytes
    reasoning = recommend(shipped, ram_bytes=8 * GB, capability="reasoning")
    assert reasoning and reasoning[0].has("reasoning")
    tiny = recommend(shipped, ram_bytes=int(0.6 * GB))
    assert tiny and tiny[0].id == shipped.starter.entry_id  # type: ignore[union-attr]
    other = recommend(shipped, ram_bytes=int(0.6 * GB), exclude={shipped.starter.entry_id})  # type: ignore[union-attr]
    assert other is None or other[0].id != tiny[0].id
    with pytest.raises(ValueError):
        recommend(shipped, ram_bytes=GB, capability="telepathy")


def test_memory_estimate_prefers_known_sizes_and_falls_back_to_the_rule(shipped: Catalog) -> None:
    entry = shipped.get("qwen3-8b")
    assert entry is not None and entry.architecture is not None
    f = entry.file("Q4_K_M")
    assert f is not None
    kv = 2 * 36 * 8 * 128 * 2 * 4096
    assert estimated_bytes(entry, f) == int(f.approx_size_gb * GB) + kv + cat.RUNTIME_BYTES  # type: ignore[operator]
    measured = replace(f, size_bytes=1234)
    assert estimated_bytes(entry, measured) == 1234 + kv + cat.RUNTIME_BYTES
    no_arch = replace(entry, architecture=None)
    assert estimated_bytes(no_arch, measured, n_ctx=8192) == 1234 + int(0.1e9 * entry.parameters / 1e9 * 2) \
        + cat.RUNTIME_BYTES
    # n_ctx is capped at the trained context
    assert estimated_bytes(entry, f, n_ctx=10 ** 7) == estimated_bytes(entry, f, n_ctx=entry.trained_context)


# --- refresh, save, load ---------------------------------------------------------------------

def _fake_hub_metadata(calls: list[tuple[str, str]]) -> catalog_refresh.FetchMetadata:
    def fetch(repo: str, filename: str) -> tuple[int, str]:
        calls.append((repo, filename))
        return 1000 + len(filename), hashlib.sha256(f"{repo}/{filename}".encode()).hexdigest().upper()
    return fetch


def test_refresh_fills_sizes_and_hashes_and_round_trips(shipped: Catalog, tmp_path: Path) -> None:
    calls: list[tuple[str, str]] = []
    fresh = refresh(shipped, _fake_hub_metadata(calls))
    assert len(calls) == len(set(calls)), "a projector shared by several quantizations is fetched once"
    assert all(e.verified for e in fresh.entries) and not any(e.verified for e in shipped.entries)
    for entry in fresh.entries:
        for f in entry.files:
            assert f.size_bytes == 1000 + len(f.filename)
            assert f.sha256 == hashlib.sha256(f"{entry.repo}/{f.filename}".encode()).hexdigest()
            assert f.approx_size_gb == max(round(f.size_bytes / GB, 3), 0.001)
            assert set(f.expected_sha256()) == set(f.download_filenames())
            if f.mmproj:
                assert f.mmproj.sha256 and f.mmproj.size_bytes
    assert fresh.starter == shipped.starter
    path = save_catalog(fresh, tmp_path / "catalog.json")
    again = load_catalog(path)
    assert again == fresh and again.path == path
    assert json.loads(path.read_text())["entries"][0]["verified"] is True
    assert not list(tmp_path.glob("*.tmp"))
    # the shipped file is in save_catalog's own format: saving it again changes nothing
    save_catalog(shipped, tmp_path / "same.json")
    assert (tmp_path / "same.json").read_text(encoding="utf-8") == SHIPPED.read_text(encoding="utf-8")


def _tiny_catalog(tmp_path: Path, entry_changes: dict[str, Any] | None = None) -> Path:
    entry = {"id": "tiny", "name": "Tiny", "description": "", "repo": "owner/Tiny-GGUF", "licence": "mit",
             "parameters": 100_000_000, "trained_context": 4096, "capabilities": ["chat"], "languages": ["en"],
             "chat_template_family": None, "architecture": None, "verified": False,
             "files": [{"quantization": "Q8_0", "filename": "tiny-Q8_0-00001-of-00002.gguf", "size_bytes": None,
                        "sha256": None, "approx_size_gb": 0.2, "mmproj": None,
                        "parts": ["tiny-Q8_0-00001-of-00002.gguf", "tiny-Q8_0-00002-of-00002.gguf"]}]}
    entry.update(entry_changes or {})
    path = tmp_path / "tiny.json"
    path.write_text(json.dumps({"comment": "test", "schema": 1, "starter": None, "entries": [entry]}))
    return path


def test_refresh_of_a_split_model_keeps_each_parts_hash(tmp_path: Path) -> None:
    tiny = load_catalog(_tiny_catalog(tmp_path))
    f = tiny.entries[0].files[0]
    assert f.is_split and [p.size_bytes for p in f.parts] == [None, None]
    fresh = refresh(tiny, _fake_hub_metadata([]))
    f = fresh.entries[0].files[0]
    assert f.sha256 is None and f.size_bytes == sum(p.size_bytes for p in f.parts)  # type: ignore[misc]
    assert f.download_filenames() == [p.filename for p in f.parts]
    assert set(f.expected_sha256()) == set(f.download_filenames()) and fresh.entries[0].verified
    assert fresh.find("owner/tiny-gguf", f.parts[1].filename) == (fresh.entries[0], f)
    assert load_catalog(save_catalog(fresh, tmp_path / "out.json")) == fresh


def test_refresh_rejects_bad_metadata_and_passes_hub_errors_on(tmp_path: Path) -> None:
    tiny = load_catalog(_tiny_catalog(tmp_path))
    with pytest.raises(HubError, match="sha256"):
        refresh(tiny, lambda repo, name: (10, "not-a-hash"))
    with pytest.raises(HubError, match="size"):
        refresh(tiny, lambda repo, name: (0, "a" * 64))

    def missing(repo: str, name: str) -> tuple[int, str]:
        raise RemoteFileNotFound(f"{name} is gone")
    with pytest.raises(RemoteFileNotFound):
        refresh(tiny, missing)
    unhashed = refresh(tiny, lambda repo, name: (10, None))   # a non-LFS file: size only
    assert not unhashed.entries[0].verified and unhashed.entries[0].files[0].size_bytes == 20


def test_hub_metadata_reads_lfs_sizes_and_hashes_from_the_hub(hub: FakeHub, tmp_path: Path) -> None:  # noqa: F811
    parts = {"tiny-Q8_0-00001-of-00002.gguf": b"GGUF" + b"a" * 100, "tiny-Q8_0-00002-of-00002.gguf": b"b" * 50}
    for name, data in parts.items():
        hub.add_file("owner/Tiny-GGUF", name, data)
    path = _tiny_catalog(tmp_path)
    assert catalog_refresh.main(["refresh", str(path)]) == 0
    f = load_catalog(path).entries[0].files[0]
    assert [(p.size_bytes, p.sha256) for p in f.parts] == \
        [(len(d), hashlib.sha256(d).hexdigest()) for d in parts.values()]
    assert load_catalog(path).entries[0].verified
    assert len([r for r in hub.requests if r.path.startswith("/api/models/")]) == 1, "one request per repo"
    with pytest.raises(RemoteFileNotFound):
        HubMetadata()("owner/Tiny-GGUF", "other.gguf")


# --- malformed catalogs ------------------------------------------------------------------------

@pytest.mark.parametrize(("changes", "field"), [
    ({"id": "Bad Id"}, "entries[0].id"),
    ({"repo": "no-owner"}, "entries[0].repo"),
    ({"repo": "a/../b"}, "entries[0].repo"),
    ({"parameters": "7B"}, "entries[0].parameters"),
    ({"parameters": True}, "entries[0].parameters"),
    ({"capabilities": ["chat", "flying"]}, "entries[0].capabilities"),
    ({"languages": []}, "entries[0].languages"),
    ({"verified": "no"}, "entries[0].verified"),
    ({"chat_template_family": "klingon"}, "entries[0].chat_template_family"),
    ({"capabilities": ["chat", "vision"]}, "mmproj"),
    ({"architecture": {"layers": 0, "kv_heads": 1, "head_dim": 1}}, "entries[0].architecture.layers"),
    ({"files": []}, "entries[0].files"),
])
def test_malformed_entries_are_named(tmp_path: Path, changes: dict[str, Any], field: str) -> None:
    path = _tiny_catalog(tmp_path, changes)
    with pytest.raises(CatalogError) as err:
        load_catalog(path)
    assert str(path) in str(err.value) and field in str(err.value)
    assert isinstance(err.value, HearthError) and err.value.hint and err.value.path == str(path)


@pytest.mark.parametrize(("file_changes", "field"), [
    ({"filename": "../evil.gguf"}, "filename"),
    ({"filename": "sub/dir.gguf"}, "filename"),
    ({"filename": "notes.txt"}, "filename"),
    ({"quantization": "Q9_X"}, "quantization"),
    ({"sha256": "ABC"}, "sha256"),
    ({"sha256": "A" * 64}, "sha256"),
    ({"size_bytes": -1}, "size_bytes"),
    ({"approx_size_gb": None, "size_bytes": None}, "neither size_bytes nor approx_size_gb"),
    ({"parts": ["x-00001-of-00002.gguf"]}, "parts"),
    ({"mmproj": {"filename": "mmproj.gguf", "size_bytes": None, "sha256": None}}, "mmproj"),
])
def test_malformed_files_are_named(tmp_path: Path, file_changes: dict[str, Any], field: str) -> None:
    path = _tiny_catalog(tmp_path)
    data = json.loads(path.read_text())
    data["entries"][0]["files"][0].update(file_changes)
    path.write_text(json.dumps(data))
    with pytest.raises(CatalogError, match=re.escape(field)) as err:
        load_catalog(path)
    assert str(path) in str(err.value)


def test_broken_files_and_duplicates_are_catalog_errors(tmp_path: Path, raw: dict[str, Any]) -> None:
    missing = tmp_path / "missing.json"
    with pytest.raises(CatalogError, match="missing"):
        load_catalog(missing)
    bad = tmp_path / "bad.json"
    bad.write_text("{not json")
    with pytest.raises(CatalogError, match=re.escape(str(bad))):
        load_catalog(bad)
    dup = copy.deepcopy(raw)
    dup["entries"].append(copy.deepcopy(dup["entries"][0]))
    bad.write_text(json.dumps(dup))
    with pytest.raises(CatalogError, match="repeat an id"):
        load_catalog(bad)
    newer = dict(raw, schema=2)
    bad.write_text(json.dumps(newer))
    with pytest.raises(CatalogError, match="schema"):
        load_catalog(bad)
    no_hash = copy.deepcopy(raw)
    no_hash["starter"]["file"]["sha256"] = None
    bad.write_text(json.dumps(no_hash))
    with pytest.raises(CatalogError, match="starter"):
        load_catalog(bad)
