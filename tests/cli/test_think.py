"""``hearth chat --think/--no-think`` sets the conversation's thinking switch; the reply's record keeps it.

Real SmolLM2, its GGUF rewritten to carry a SmolLM3-style template (``/think`` or ``/no_think`` in the
system block), so the switch really changes the prompt.
"""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from engine.store import Store
from tests.gguf_tools import rewrite_gguf

ROOT = Path(__file__).resolve().parents[2]
SMOLLM3_LIKE = (
    "{%- if enable_thinking is defined and enable_thinking is false %}{%- set mode = '/no_think' %}"
    "{%- else %}{%- set mode = '/think' %}{%- endif %}"
    "{{- '<|im_start|>system\\nReasoning Mode: ' + mode + '<|im_end|>\\n' }}"
    "{%- for message in messages if message.role != 'system' %}"
    "{{- '<|im_start|>' + message.role + '\\n' + message.content + '<|im_end|>\\n' }}{%- endfor %}"
    "{%- if add_generation_prompt %}{{- '<|im_start|>assistant\\n' }}{%- endif %}"
)


def test_think_flags_reach_the_conversation_and_the_record(hearth_home: Path, tmp_path: Path,
                                                           smollm2_path: Path) -> None:
    model = rewrite_gguf(smollm2_path, tmp_path / "thinker.gguf",
                         set_strings={"tokenizer.chat_template": SMOLLM3_LIKE})
    env = {**os.environ, "HEARTH_HOME": str(hearth_home)}

    def chat(*args: str) -> None:
        done = subprocess.run([sys.executable, "-m", "desktop.cli.main", "chat", "--seed", "1", "--max-tokens", "4",
                               "--threads", "2", "--ctx", "1024", *args], env=env, cwd=ROOT, capture_output=True,
                              text=True, timeout=300)
        assert done.returncode == 0, done.stderr

    chat("--model", str(model), "--no-think", "Hi")
    with Store(hearth_home / "hearth.db") as store:
        conv = store.conversations()[0]
        assert conv.sampling["thinking"] is False
        assert store.thread(conv.id)[-1].record["sampling"]["thinking"] is False
    chat("--conversation", str(conv.id), "--think", "And now?")
    chat("--conversation", str(conv.id), "Again")   # no flag: the conversation keeps its setting
    with Store(hearth_home / "hearth.db") as store:
        replies = [m for m in store.thread(conv.id) if m.role == "assistant"]
        assert [r.record["sampling"]["thinking"] for r in replies] == [False, True, True]
        assert store.conversation(conv.id).sampling["thinking"] is True
