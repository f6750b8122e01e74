"""``hearth prompt``: the exact text a chat would give the model, from the GGUF header alone.

The reference is a real chat: SmolLM2 with a Gemma-style template (refuses a system role, checks that
roles alternate) answers, is stopped before its first token, answers again, and the prompt that reply
recorded must be, byte for byte, what ``hearth prompt`` prints for the same conversation. Real
templates from llama.cpp's test suite (Qwen3, Gemma 2) run on a file that holds only the header.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import gguf
import pytest

from engine import CancelToken, Chat, ReplyFinished, Runtime, Sampling, Store, paths
from tests.engine.chat.test_history_validity import GEMMA_TEMPLATE
from tests.gguf_tools import rewrite_gguf

ROOT = Path(__file__).resolve().parents[2]
REAL_TEMPLATES = json.loads((ROOT / "tests/data/chat_template_conformance.json").read_text())["template_files"]


def hearth(*args: str) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run([sys.executable, "-m", "desktop.cli.main", *args], cwd=ROOT, env=dict(os.environ),
                          capture_output=True, timeout=120)


def header_only(source: Path, dst: Path, template: str) -> Path:
    """``source`` with ``template`` as its chat template, cut after the header: no weights at all."""
    full = rewrite_gguf(source, dst.with_suffix(".full.gguf"), set_strings={"tokenizer.chat_template": template})
    data_offset = gguf.GGUFReader(full).data_offset
    with open(full, "rb") as src:
        dst.write_bytes(src.read(data_offset))
    full.unlink()
    return dst


def write_messages(path: Path, messages: list[dict[str, str]]) -> Path:
    path.write_text(json.dumps(messages, ensure_ascii=False), encoding="utf-8")
    return path


def test_the_prompt_is_byte_for_byte_what_a_chat_sent(hearth_home: Path, tmp_path: Path, smollm2_path: Path) -> None:
    model = rewrite_gguf(smollm2_path, tmp_path / "roles.gguf", set_strings={"tokenizer.chat_template": GEMMA_TEMPLATE})
    s = Sampling(temperature=0, max_tokens=6)
    with Store(paths().database) as store, Runtime(cache_dir=tmp_path) as runtime:
        runtime.load(model, n_ctx=2048, n_threads=2)
        conv = store.create_conversation(system_prompt="You answer in one word.")
        chat = Chat(store, runtime)
        list(chat.send(conv.id, "Name a colour.", sampling=s))
        cancel = CancelToken()
        cancel.cancel()
        list(chat.send(conv.id, "Name a fruit.", sampling=s, cancel=cancel))     # stopped: an empty reply
        last = [e for e in chat.send(conv.id, "Name a city \x1b[31mnow\x1b[0m.", sampling=s)
                if isinstance(e, ReplyFinished)][-1].message
        thread = store.thread(conv.id)
    sent = last.record["prompt"]
    messages = [{"role": "system", "content": "You answer in one word."}]
    messages += [{"role": m.role, "content": m.content} for m in thread[:-1]]
    assert [m["role"] for m in messages] == ["system", "user", "assistant", "user", "assistant", "user"]
    assert messages[4]["content"] == ""
    done = hearth("prompt", "--model", str(model), "--messages", str(write_messages(tmp_path / "m.json", messages)))
    assert done.returncode == 0, done.stderr
    assert done.stdout.decode("utf-8") == sent          # piped: exact, escape sequences included
    assert "You answer in one word.\n\nName a colour." in sent and "\x1b[31m" in sent


def test_a_header_only_file_with_qwen3s_template_and_the_thinking_switch(tmp_path: Path, smollm2_path: Path) -> None:
    model = header_only(smollm2_path, tmp_path / "qwen3-header.gguf", REAL_TEMPLATES["Qwen-Qwen3-0.6B.jinja"])
    assert model.stat().st_size < smollm2_path.stat().st_size / 10
    messages = write_messages(tmp_path / "m.json", [{"role": "user", "content": "Why is the sky blue?"}])
    on, off, default = (hearth("prompt", "--model", str(model), "--messages", str(messages), *flag)
                        for flag in (["--think"], ["--no-think"], []))
    assert on.returncode == off.returncode == default.returncode == 0, (on.stderr, off.stderr)
    assert off.stdout.endswith(b"<|im_start|>assistant\n<think>\n\n</think>\n\n")
    assert on.stdout.endswith(b"<|im_start|>assistant\n") and on.stdout == default.stdout   # llama.cpp's default
    assert b"<|im_start|>user\nWhy is the sky blue?<|im_end|>\n" in on.stdout


def test_a_template_that_refuses_a_system_role_gets_it_merged(tmp_path: Path, smollm2_path: Path) -> None:
    model = header_only(smollm2_path, tmp_path / "gemma2-header.gguf", REAL_TEMPLATES["google-gemma-2-2b-it.jinja"])
    messages = write_messages(tmp_path / "m.json", [{"role": "system", "content": "Ignored."},
                                                    {"role": "user", "content": "Hi"},
                                                    {"role": "user", "content": "Are you there?"}])
    done = hearth("prompt", "--model", str(model), "--messages", str(messages), "--system", "Be brief.")
    assert done.returncode == 0, done.stderr
    text = done.stdout.decode()
    assert "<start_of_turn>user\nBe brief.\nHi\n\nAre you there?<end_of_turn>\n<start_of_turn>model\n" in text
    assert "Ignored." not in text


def test_an_installed_model_by_name(hearth_home: Path, tmp_path: Path, smollm2_path: Path) -> None:
    assert hearth("models", "import", str(smollm2_path)).returncode == 0
    messages = write_messages(tmp_path / "m.json", [{"role": "user", "content": "你好"}])
    done = hearth("prompt", "--model", "SmolLM2-135M-Instruct", "--messages", str(messages))
    assert done.returncode == 0, done.stderr
    assert "<|im_start|>user\n你好<|im_end|>\n<|im_start|>assistant\n" in done.stdout.decode()


@pytest.mark.parametrize("content, says", [
    ("not json", "could not be read as JSON"),
    ('{"messages": []}', "holds no list of messages"),
    ('[{"role": "user", "content": "Hi"}, {"role": "assistant", "content": "Hello"}]', "is not from the user"),
    ('[{"role": "user", "content": "Hi"}, {"role": "system", "content": "x"}, {"role": "user", "content": "y"}]',
     "only the first message may be one"),
    ('[{"role": "robot", "content": "Hi"}]', "has no role"),
    ('[{"role": "user", "content": 5}]', "has no text content"),
])
def test_a_bad_conversation_is_refused_on_stderr(tmp_path: Path, smollm2_path: Path, content: str, says: str) -> None:
    messages = tmp_path / "m.json"
    messages.write_text(content, encoding="utf-8")
    done = hearth("prompt", "--model", str(smollm2_path), "--messages", str(messages))
    assert done.returncode == 1 and done.stdout == b""
    assert says in done.stderr.decode() and '"role"' in done.stderr.decode()   # what happened, what to do


def test_no_such_model(hearth_home: Path, tmp_path: Path) -> None:
    messages = write_messages(tmp_path / "m.json", [{"role": "user", "content": "Hi"}])
    done = hearth("prompt", "--model", "no-such-model", "--messages", str(messages))
    assert done.returncode == 1 and b"no-such-model" in done.stderr and b"hearth models list" in done.stderr
