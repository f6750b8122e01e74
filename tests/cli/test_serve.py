"""``hearth serve`` end to end: the real command on all interfaces (so it needs its key), the key
printed once and kept in the home's config folder, the real SmolLM2 answering the ``openai`` SDK,
and Ctrl+C (sent to the whole process group, as a terminal does) ending it quietly."""
from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import openai
import pytest

ROOT = Path(__file__).resolve().parents[2]


def test_serve_on_all_interfaces_needs_its_key_and_stops_quietly(hearth_home: Path, smollm2_path: Path) -> None:
    env = {**os.environ, "HEARTH_HOME": str(hearth_home), "COLUMNS": "80"}
    proc = subprocess.Popen([sys.executable, "-m", "desktop.cli.main", "serve", "--host", "0.0.0.0", "--port", "0",
                             "--model", str(smollm2_path), "--ctx", "1024", "--threads", "2"],
                            cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            start_new_session=True)
    try:
        lines: list[str] = []
        deadline = time.monotonic() + 180
        while not any(line.startswith("Model ready") for line in lines):
            line = proc.stdout.readline()   # type: ignore[union-attr]
            assert line and time.monotonic() < deadline, (lines, proc.stderr.read())   # type: ignore[union-attr]
            lines.append(line)
        text = "".join(lines)
        key = re.search(r"^  (hearth-\S+)$", text, re.M)
        assert key and "shown this once" in text, text
        key_file = hearth_home / "config" / "api-key"
        assert key_file.read_text().strip() == key.group(1)
        port = int(re.search(r"http://0\.0\.0\.0:(\d+)/v1", text).group(1))   # type: ignore[union-attr]
        base = f"http://127.0.0.1:{port}/v1"
        with pytest.raises(openai.AuthenticationError):
            openai.OpenAI(base_url=base, api_key="guess", max_retries=0).models.list()
        c = openai.OpenAI(base_url=base, api_key=key.group(1), max_retries=0, timeout=120)
        model = c.models.list().data[0].id
        reply = c.chat.completions.create(model=model, max_tokens=8, seed=1,
                                          messages=[{"role": "user", "content": "Say hello."}])
        assert reply.choices[0].message.content and reply.usage.completion_tokens > 0
    finally:
        os.killpg(proc.pid, signal.SIGINT)
        out, err = proc.communicate(timeout=60)
    assert proc.returncode == 0, err
    assert "Traceback" not in err and err.strip() == "Stopped.", err
    assert key.group(1) not in out   # printed once, not again on exit
