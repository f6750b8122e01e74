"""Fuzzing every document extractor: mutated seeds from tests/data/fuzz/<format>/, in-process.

For each format (text, Markdown, code, CSV, HTML, .docx, PDF) Hypothesis
mutates the tiny seed files (flips, inserts, deletes, splices, truncations;
for .docx also the XML inside the zip, so that the XML reader is reached)
and runs ``extract`` and ``chunk`` on the result under the indexer's limits.
Zero crashes, hangs (a deadline per example) or untyped exceptions: anything
raised must be a ``DocumentError``. Each format is bounded by its example
count (a few seconds to ~20 s each on two cores; ``max_examples`` below).
"""
from __future__ import annotations

import io
import tempfile
import zipfile
from datetime import timedelta
from pathlib import Path

import pytest

hypothesis = pytest.importorskip("hypothesis")
from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from engine.errors import DocumentError  # noqa: E402
from engine.knowledge.chunking import chunk  # noqa: E402
from engine.knowledge.extract import extract  # noqa: E402

SEEDS = Path(__file__).resolve().parents[2] / "data" / "fuzz"
SUFFIX = {"text": ".txt", "markdown": ".md", "code": ".py", "csv": ".csv", "html": ".html", "docx": ".docx",
          "pdf": ".pdf"}
EXAMPLES = {"text": 800, "markdown": 800, "code": 500, "csv": 800, "html": 800, "docx": 600, "pdf": 500}
INTERESTING = [b"\x00", b"\xff\xfe", b"\xfe\xff", b"\xef\xbb\xbf", b"\r", b"\n\n", b"\t", b"#", b"```", b"|", b",",
               b'"', b";", b"<", b">", b"</p>", b"<h1>", b"<![CDATA[", b"&#x110000;", b"&", b"obj", b"endobj",
               b"stream", b"endstream", b"xref", b"trailer", b"/Length 99999", b"<<", b">>", b"\xe4\xb8\xad",
               b"\x80", b"\xc3", b"9" * 20, b"x" * 3000]


def _seeds(kind: str) -> list[bytes]:
    return [p.read_bytes() for p in sorted((SEEDS / kind).iterdir())]


@st.composite
def mutated(draw: st.DrawFn, seeds: list[bytes]) -> bytes:
    data = bytearray(draw(st.sampled_from(seeds)))
    for _ in range(draw(st.integers(0, 6))):
        op = draw(st.sampled_from(["flip", "insert", "delete", "splice", "truncate", "repeat"]))
        at = draw(st.integers(0, len(data)))
        if op == "flip" and data:
            data[min(at, len(data) - 1)] = draw(st.integers(0, 255))
        elif op == "insert":
            data[at:at] = draw(st.one_of(st.sampled_from(INTERESTING), st.binary(max_size=16)))
        elif op == "delete":
            del data[at:at + draw(st.integers(1, 64))]
        elif op == "splice":
            other = draw(st.sampled_from(seeds))
            start = draw(st.integers(0, len(other)))
            data[at:at] = other[start:start + draw(st.integers(1, 200))]
        elif op == "truncate":
            del data[at:]
        elif op == "repeat" and data:
            piece = bytes(data[at:at + draw(st.integers(1, 32))])
            data[at:at] = piece * draw(st.integers(1, 200))
    return bytes(data)


def _docx_with(document_xml: bytes, seed: bytes) -> bytes:
    """The seed .docx with its word/document.xml replaced (so that mutations reach the XML reader)."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(seed)) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            dst.writestr(info.filename, document_xml if info.filename == "word/document.xml" else src.read(info))
    return out.getvalue()


def _check(folder: Path, kind: str, data: bytes) -> None:
    path = folder / f"fuzz{SUFFIX[kind]}"
    path.write_bytes(data)
    try:
        doc = extract(path, max_chars=200_000)
        chunks = chunk(doc, max_chunks=500)
    except DocumentError:
        return
    assert all(c.tokens <= 400 and c.text.strip() for c in chunks)
    for c in chunks:
        c.text.encode("utf-8")  # storable as SQLite text: no lone surrogates


def _fuzz(kind: str, strategy: st.SearchStrategy[bytes]) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        @settings(max_examples=EXAMPLES[kind], deadline=timedelta(seconds=5), database=None, derandomize=True,
                  suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
        @given(strategy)
        def run(data: bytes) -> None:
            _check(Path(tmp), kind, data)
        run()


@pytest.mark.parametrize("kind", ["text", "markdown", "code", "csv", "html", "pdf"])
@pytest.mark.timeout(90)
def test_fuzz_extractor(kind: str) -> None:
    _fuzz(kind, mutated(_seeds(kind)))


@pytest.mark.timeout(90)
def test_fuzz_docx_zip_and_xml() -> None:
    seeds = _seeds("docx")
    with zipfile.ZipFile(io.BytesIO(seeds[0])) as zf:
        xml = zf.read("word/document.xml")
    raw = mutated(seeds)
    inner = mutated([xml]).map(lambda doc: _docx_with(doc, seeds[0]))
    _fuzz("docx", st.one_of(raw, inner))


def test_every_format_has_a_seed_corpus() -> None:
    for kind in SUFFIX:
        seeds = _seeds(kind)
        assert seeds and all(len(s) < 4096 for s in seeds), kind
        with tempfile.TemporaryDirectory() as tmp:  # the seeds themselves read cleanly
            for data in seeds:
                path = Path(tmp) / f"seed{SUFFIX[kind]}"
                path.write_bytes(data)
                assert chunk(extract(path)), kind
