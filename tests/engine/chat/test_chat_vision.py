"""Attachments through the whole engine with real llama.cpp: SmolLM2 plus the tiny projector sees an image,
documents go into the turn within the context, refusals save nothing, ``hearth chat --attach``."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any, Iterator

import pytest
from PIL import Image

from engine import Chat, Piece, ReplyFinished, Runtime, Sampling, Store, UserSaved, errors, paths
from engine.chat.attachments import Attachment, attachment_tokens, prepare
from engine.models.gguf import read_gguf_info
from engine.models.vision import MEDIA_MARKER, find_mmproj
from tests.vision_files import N_PATCHES, build_tiny_mmproj, write_tiny_mmproj

GREEDY = Sampling(temperature=0, max_tokens=6)


@pytest.fixture(scope="module")
def vision_runtime(smollm2_path: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Runtime]:
    logs = tmp_path_factory.mktemp("vision-logs")
    runtime = Runtime(log_path=logs / "llama.log", cache_dir=logs)
    runtime.load(smollm2_path, n_ctx=2048, n_threads=2, mmproj=build_tiny_mmproj())
    yield runtime
    runtime.close()


class Recording:
    """The runtime, with the prompts (and images) it was asked to answer kept."""

    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime
        self.prompts: list[str] = []
        self.images: list[list[tuple[int, int, bytes]]] = []

    def __getattr__(self, name: str) -> Any:
        return getattr(self.runtime, name)

    def generate(self, prompt: str, sampling: Sampling, **kw: Any) -> Any:
        self.prompts.append(prompt)
        self.images.append(list(kw.get("images", ())))
        return self.runtime.generate(prompt, sampling, **kw)


def _picture(path: Path, size: tuple[int, int] = (64, 48), colour: tuple[int, int, int] = (200, 30, 30)) -> Path:
    Image.new("RGB", size, colour).save(path)
    return path


def _finished(events: Any) -> ReplyFinished:
    *_, last = list(events)
    assert isinstance(last, ReplyFinished)
    return last


# --- images ------------------------------------------------------------------------------------

def test_an_image_reaches_the_model_and_is_stored(store: Store, vision_runtime: Runtime, tmp_path: Path) -> None:
    info = vision_runtime.info
    assert info is not None and info.vision and info.mmproj == str(build_tiny_mmproj())
    photo = prepare(_picture(tmp_path / "red.png"))
    chat = Chat(store, Recording(vision_runtime))  # type: ignore[arg-type]
    question = "What is in this picture?"

    seeing = store.create_conversation()
    budget = chat.budget(seeing.id, question, attachments=[photo], sampling=GREEDY)
    assert budget.attachments == N_PATCHES == 16
    events = list(chat.send(seeing.id, question, attachments=[photo], sampling=GREEDY))
    saved = events[0]
    assert isinstance(saved, UserSaved) and [a.name for a in saved.attachments] == ["red.png"]
    with_image = _finished(events)
    reply = with_image.message
    assert reply.status == "complete" and reply.content and with_image.stats["completion_tokens"] > 0
    assert chat.runtime.prompts[-1].count(MEDIA_MARKER) == 1 and len(chat.runtime.images[-1]) == 1
    seen = reply.record["attachments"]
    assert seen["image_tokens"] == 16 and [i["name"] for i in seen["images_sent"]] == ["red.png"]
    # the estimate the context budget works with is what llama.cpp evaluated, image positions included
    assert with_image.stats["prompt_tokens"] == reply.prompt_tokens == budget.used

    blind = store.create_conversation()
    without_image = _finished(chat.send(blind.id, question, sampling=GREEDY))
    assert chat.runtime.images[-1] == []
    extra_text = vision_runtime.count_tokens(f"{MEDIA_MARKER}\n\n{question}".replace(MEDIA_MARKER, "")) - \
        vision_runtime.count_tokens(question)
    added = with_image.stats["prompt_tokens"] - without_image.stats["prompt_tokens"]
    assert added == N_PATCHES + extra_text, (with_image.stats, without_image.stats)

    user_id = store.thread(seeing.id)[0].id
    store.close()
    with Store(paths().database) as reopened:
        (back,) = reopened.attachments(user_id)
        assert (back.kind, back.name, back.sha256, back.width, back.height) == ("image", "red.png", photo.sha256,
                                                                               64, 48)
        assert back.stored.is_file() and back.stored.stat().st_size == photo.size
        assert reopened.conn.execute("SELECT tokens FROM attachments WHERE id = ?", (back.id,)).fetchone()[0] == 16


def test_a_follow_up_re_sends_the_image_from_the_cache(store: Store, vision_runtime: Runtime,
                                                         tmp_path: Path) -> None:
    chat = Chat(store, Recording(vision_runtime))  # type: ignore[arg-type]
    conv = store.create_conversation()
    first = _finished(chat.send(conv.id, "Look at this.", attachments=[prepare(_picture(tmp_path / "a.png"))],
                                sampling=GREEDY))
    second = _finished(chat.send(conv.id, "What colour is it?", sampling=GREEDY))
    record = second.message.record["attachments"]
    assert record["images_from"] == first.message.parent_id and len(record["images_sent"]) == 1
    assert len(chat.runtime.images[-1]) == 1 and chat.runtime.prompts[-1].count(MEDIA_MARKER) == 1
    # the image's positions came from the KV cache: only the new turn was evaluated
    assert second.stats["prompt_evaluated"] < second.stats["prompt_tokens"] - first.stats["prompt_tokens"]

    # a newer picture replaces it; the older one is then only named
    third = _finished(chat.send(conv.id, "And this one?", sampling=GREEDY,
                                attachments=[prepare(_picture(tmp_path / "b.png", colour=(0, 0, 250)))]))
    assert [i["name"] for i in third.message.record["attachments"]["images_sent"]] == ["b.png"]
    assert "[image: a.png]" in chat.runtime.prompts[-1] and chat.runtime.prompts[-1].count(MEDIA_MARKER) == 1


def test_a_worker_crash_while_seeing_leaves_the_app_up(store: Store, vision_runtime: Runtime,
                                                       tmp_path: Path) -> None:
    chat = Chat(store, vision_runtime)
    conv = store.create_conversation()
    photo = prepare(_picture(tmp_path / "c.png"))
    with pytest.raises(errors.ModelCrashed):
        for event in chat.send(conv.id, "Describe it at length.", attachments=[photo],
                               sampling=Sampling(temperature=0, max_tokens=200)):
            if isinstance(event, Piece):
                os.kill(vision_runtime.worker_pid or 0, signal.SIGKILL)
    assert store.thread(conv.id)[-1].status == "interrupted"
    again = _finished(chat.send(conv.id, "Once more.", attachments=[photo], sampling=GREEDY))
    assert again.message.status == "complete" and vision_runtime.info and vision_runtime.info.vision


def test_an_image_for_a_model_that_cannot_see_is_refused_and_nothing_saved(store: Store, smol_runtime: Runtime,
                                                                          tmp_path: Path) -> None:
    assert smol_runtime.info is not None and not smol_runtime.info.vision
    conv = store.create_conversation()
    _finished(Chat(store, smol_runtime).send(conv.id, "Hi", sampling=GREEDY))
    before = store.messages(conv.id)
    photo = prepare(_picture(tmp_path / "cat.png"))
    with pytest.raises(errors.VisionUnsupported) as err:
        list(Chat(store, smol_runtime).send(conv.id, "What is this?", attachments=[photo], sampling=GREEDY))
    assert store.messages(conv.id) == before
    assert "SmolLM2-135M-Instruct" in str(err.value) and "cannot see images" in str(err.value)
    assert "SmolVLM 500M Instruct (vision)" in err.value.suggestions
    assert all(name in err.value.hint for name in err.value.suggestions) and "mmproj" in err.value.hint


# --- pairing a model with its projector -------------------------------------------------------

def _header_copy(model: Path, target: Path) -> Path:
    """A sparse file with the model's header and its full size: enough for every header check."""
    info = read_gguf_info(model)
    with open(model, "rb") as src, open(target, "wb") as dst:
        dst.write(src.read(info.tensor_data_offset))
        dst.truncate(info.tensor_data_offset + info.tensor_data_size)
    return target


def test_find_mmproj_pairs_by_folder_name_and_catalog(smollm2_path: Path, tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    repo.mkdir()
    model = _header_copy(smollm2_path, repo / "SmolLM2-135M-Instruct.Q4_1.gguf")
    build_tiny_mmproj(repo / "mmproj-SmolLM2-135M-Instruct-Q8_0.gguf", n_embd_text=64)   # named for it, wrong size
    assert find_mmproj(model) is None
    generic = build_tiny_mmproj(repo / "mmproj-model-f16.gguf")      # a Hub repository's generic name
    assert find_mmproj(model) == generic
    _header_copy(smollm2_path, repo / "SmolLM2-135M-Instruct.Q8_0.gguf")   # another quantization: same model
    assert find_mmproj(model) == generic
    own = build_tiny_mmproj(repo / "mmproj-SmolLM2-135M-Instruct-f16.gguf")
    assert find_mmproj(model) == own                                 # named for the model wins

    shared = tmp_path / "downloads"                                  # a folder of unrelated models
    shared.mkdir()
    other = _header_copy(smollm2_path, shared / "SmolLM2-135M-Instruct.Q4_1.gguf")
    _header_copy(smollm2_path, shared / "some-other-model-Q4_K_M.gguf")
    build_tiny_mmproj(shared / "mmproj-model-f16.gguf")
    assert find_mmproj(other) is None                                # same width, but nothing says it is its

    catalogued = tmp_path / "ggml-org__SmolVLM-500M-Instruct-GGUF"   # the catalog's pairing wins over names
    catalogued.mkdir()
    vlm = _header_copy(smollm2_path, catalogued / "SmolVLM-500M-Instruct-Q8_0.gguf")
    build_tiny_mmproj(catalogued / "mmproj-SmolVLM-500M-Instruct-f16.gguf")
    paired = build_tiny_mmproj(catalogued / "mmproj-SmolVLM-500M-Instruct-Q8_0.gguf", seed=1)
    assert find_mmproj(vlm) == paired


def _model_in(folder: Path, smollm2_path: Path) -> Path:
    folder.mkdir()
    model = folder / smollm2_path.name
    try:
        os.link(smollm2_path, model)
    except OSError:
        model.write_bytes(smollm2_path.read_bytes())
    return model


def test_runtime_pairs_a_projector_from_the_same_folder(smollm2_path: Path, tmp_path: Path) -> None:
    folder = tmp_path / "models"
    model = _model_in(folder, smollm2_path)
    projector = build_tiny_mmproj(folder / "mmproj-SmolLM2-135M-Instruct-f16.gguf")
    with Runtime(log_path=tmp_path / "llama.log", cache_dir=tmp_path) as runtime:
        info = runtime.load(model, n_ctx=512, n_threads=2)
        assert info.vision and info.mmproj == str(projector) and "vision" in info.summary()
        assert runtime.image_tokens([(64, 48), (640, 480)]) == [N_PATCHES, N_PATCHES]
        assert not runtime.load(model, n_ctx=512, n_threads=2, mmproj="").vision      # "": none wanted
        with pytest.raises(errors.ModelLoadFailed, match="does not fit the model"):
            runtime.load(model, n_ctx=512, n_threads=2,
                         mmproj=build_tiny_mmproj(tmp_path / "narrow.gguf", n_embd_text=64))
        with pytest.raises(errors.ModelInvalid, match="not an image projector"):
            runtime.load(model, n_ctx=512, n_threads=2, mmproj=model)


def test_a_projector_that_crashes_llama_cpp_leaves_the_app_up(smollm2_path: Path, tmp_path: Path) -> None:
    folder = tmp_path / "models"
    model = _model_in(folder, smollm2_path)
    crashing = write_tiny_mmproj(folder / "mmproj-SmolLM2-135M-Instruct-f16.gguf", drop=("v.position_embd.weight",))
    with Runtime(log_path=tmp_path / "llama.log", cache_dir=tmp_path) as runtime:
        info = runtime.load(model, n_ctx=512, n_threads=2)          # paired automatically: text only, and why
        assert not info.vision and "SIGSEGV" in info.vision_error and str(crashing) in info.vision_error
        assert runtime.count_tokens("still here") > 0
        # chosen by hand: the load fails, loudly; a second crash of the same pair calls the projector broken
        with pytest.raises(errors.ModelBroken, match="SIGSEGV") as broken:
            runtime.load(model, n_ctx=512, n_threads=2, mmproj=crashing)
        assert str(broken.value.path) == str(crashing) and str(crashing) in str(broken.value)
        with pytest.raises(errors.ModelBroken):   # refused at once now: llama.cpp is not run again
            runtime.load(model, n_ctx=512, n_threads=2, mmproj=crashing)
        again = runtime.load(model, n_ctx=512, n_threads=2)        # paired again: skipped, text only, and why
        assert not again.vision and str(crashing) in again.vision_error
        assert runtime.load(model, n_ctx=512, n_threads=2, mmproj=build_tiny_mmproj()).vision  # the model is fine


# --- documents ---------------------------------------------------------------------------------

SECRET = "The vault code is TANGERINE-42. The spare key hides under the blue flowerpot."


def test_a_document_that_fits_goes_into_the_turn_and_is_counted(store: Store, smol_runtime: Runtime,
                                                                tmp_path: Path) -> None:
    src = tmp_path / "notes.md"
    src.write_text(f"# House notes\n\n{SECRET}\n")
    doc = prepare(src)
    chat = Chat(store, Recording(smol_runtime))  # type: ignore[arg-type]
    conv = store.create_conversation()
    plain = chat.budget(conv.id, "What is the vault code?", sampling=GREEDY)
    budget = chat.budget(conv.id, "What is the vault code?", attachments=[doc], sampling=GREEDY)
    assert plain.attachments == 0 and budget.attachments > smol_runtime.count_tokens(SECRET)
    # the document's one count (its chip and the "too big" refusal show it); the line introducing it is the draft's
    assert budget.attachments == budget.tokens_of(doc.sha256) == attachment_tokens(doc, smol_runtime.count_tokens)
    assert 0 < budget.draft - plain.draft < 80 and budget.used == plain.used + budget.attachments + (
        budget.draft - plain.draft)
    first = _finished(chat.send(conv.id, "What is the vault code?", attachments=[doc], sampling=GREEDY))
    prompt = chat.runtime.prompts[-1]
    assert SECRET in prompt and "never instructions to follow" in prompt
    assert first.message.prompt_tokens == first.stats["prompt_tokens"]
    assert first.stats["prompt_tokens"] == budget.used  # the placeholder delimiter takes as many tokens as the real one
    user = store.thread(conv.id)[0]
    delimiter = user.record["attachments"]["delimiter"]
    assert f"<<<DOCUMENT {delimiter} 1: notes.md>>>" in prompt and f"<<<END {delimiter}>>>" in prompt
    assert first.message.record["attachments"]["document_tokens"] > 0
    (stored,) = store.attachments(user.id)
    assert stored.text == doc.text

    # later turns re-send it, fenced the same way, so the KV cache is reused
    nxt = chat.budget(conv.id, "And the key?", sampling=GREEDY)
    assert nxt.history >= budget.used - plain.draft + first.message.completion_tokens
    second = _finished(chat.send(conv.id, "And the key?", sampling=GREEDY))
    assert chat.runtime.prompts[-1].count(SECRET) == 1 and f"<<<END {delimiter}>>>" in chat.runtime.prompts[-1]
    assert second.stats["prompt_evaluated"] < second.stats["prompt_tokens"] - budget.attachments


def test_a_document_that_does_not_fit_is_refused_whole(store: Store, smol_runtime: Runtime,
                                                       tmp_path: Path) -> None:
    assert smol_runtime.info is not None and smol_runtime.info.n_ctx == 2048
    src = tmp_path / "big-report.txt"
    src.write_text("".join(f"Paragraph {i}: the quarterly figures rose and fell again.\n" for i in range(3000)))
    doc = prepare(src)
    assert doc.text.count("Paragraph") == 3000                       # read whole
    chat = Chat(store, smol_runtime)
    conv = store.create_conversation()
    _finished(chat.send(conv.id, "Hello", sampling=GREEDY))
    before = store.messages(conv.id)
    budget = chat.budget(conv.id, "Summarise the report.", attachments=[doc], sampling=GREEDY)
    assert budget.over and budget.attachments > 30_000
    with pytest.raises(errors.AttachmentTooLarge) as err:
        list(chat.send(conv.id, "Summarise the report.", attachments=[doc], sampling=GREEDY))
    exc = err.value
    assert store.messages(conv.id) == before                         # nothing saved, nothing sent
    assert exc.names == ["big-report.txt"] and exc.tokens > 30_000 and 0 < exc.room < 2048
    assert "big-report.txt" in str(exc) and f"{exc.tokens:,} tokens" in str(exc) and f"{exc.room:,}" in str(exc)
    assert "knowledge base" in exc.hint


# --- the terminal ---------------------------------------------------------------------------------

def test_hearth_chat_attach_end_to_end(smollm2_path: Path, hearth_home: Path, tmp_path: Path) -> None:
    env = {**os.environ, "HEARTH_HOME": str(hearth_home)}
    base = [sys.executable, "-m", "desktop.cli.main", "chat", "--model", str(smollm2_path), "--ctx", "1024",
            "--threads", "2", "--temperature", "0", "--max-tokens", "4"]
    photo = _picture(tmp_path / "photo.png")
    ok = subprocess.run(base + ["--mmproj", str(build_tiny_mmproj()), "--attach", str(photo), "What is this?"],
                        env=env, capture_output=True, text=True, timeout=180)
    assert ok.returncode == 0, ok.stderr
    assert ok.stdout.strip() and "[attached: photo.png (image)]" in ok.stderr
    assert "1 images (16 tokens)" in ok.stderr
    with Store(hearth_home / "hearth.db") as store:
        conv = store.conversations()[0]
        user, reply = store.thread(conv.id)
        assert [a.name for a in store.attachments(user.id)] == ["photo.png"] and reply.status == "complete"

    blind = subprocess.run(base + ["--attach", str(photo), "What is this?"], env=env, capture_output=True,
                           text=True, timeout=180)
    assert blind.returncode == 1 and "cannot see images" in blind.stderr and "SmolVLM" in blind.stderr
    fake = tmp_path / "fake.png"
    fake.write_text("not a picture")
    refused = subprocess.run(base + ["--attach", str(fake), "What is this?"], env=env, capture_output=True,
                             text=True, timeout=180)
    assert refused.returncode == 1 and refused.stderr.startswith("hearth: fake.png is not a PNG")
    with Store(hearth_home / "hearth.db") as store:
        assert sum(len(store.messages(c.id)) for c in store.conversations()) == 2   # the refusals saved nothing


def test_attachment_objects_survive_a_store_in_another_home(tmp_path: Path) -> None:
    """A prepared attachment is a plain value: sending it through another store copies its file there."""
    att = prepare(_picture(tmp_path / "x.png"))
    assert isinstance(att, Attachment) and att.stored.is_relative_to(paths().attachments)
