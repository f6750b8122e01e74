"""A failure after a streamed reply has begun: the status line (200) has gone, so the client gets an
OpenAI-shaped ``data: {"error": …}`` event (no finish reason pretends the reply ended), the openai SDK
raises it, and the server keeps serving (the
llama.cpp worker, killed here mid-reply, is started again for the next request)."""
from __future__ import annotations

import http.client
import json
import multiprocessing
import os
import signal

import openai
import pytest

from engine.api import ApiServer
from tests.engine.api.conftest import api  # noqa: F401


def _kill_llama_worker() -> int:
    workers = [p for p in multiprocessing.active_children() if p.name == "hearth-llama" and p.is_alive()]
    assert workers, "no llama.cpp worker is running"
    for proc in workers:
        os.kill(proc.pid, signal.SIGKILL)
    return len(workers)


def test_a_crash_mid_stream_is_an_error_event_and_the_next_request_works(api: ApiServer) -> None:  # noqa: F811
    conn = http.client.HTTPConnection("127.0.0.1", api.port, timeout=120)
    body = {"model": api.worker.loaded_id, "stream": True, "max_tokens": 400, "temperature": 0,
            "messages": [{"role": "user", "content": "Count from 1 to 300, separated by commas."}]}
    conn.request("POST", "/v1/chat/completions", body=json.dumps(body), headers={"Content-Type": "application/json"})
    reply = conn.getresponse()
    assert reply.status == 200
    events: list[dict] = []
    killed = False
    buffer = b""
    while True:
        line = reply.readline()
        if not line:
            break
        buffer += line
        if line.strip() == b"" and buffer.strip():
            data = buffer.decode().strip()
            buffer = b""
            if data.startswith(":"):
                continue
            assert data.startswith("data: ")
            if data == "data: [DONE]":
                events.append({"done": True})
                break
            events.append(json.loads(data[len("data: "):]))
            contents = [e for e in events if e.get("choices") and e["choices"][0]["delta"].get("content")]
            if len(contents) == 3 and not killed:
                killed = bool(_kill_llama_worker())
    conn.close()
    assert killed
    errors = [n for n, e in enumerate(events) if "error" in e]
    assert errors, events[-3:]
    error = events[errors[0]]["error"]
    assert set(error) == {"message", "type", "param", "code"} and "stopped unexpectedly" in error["message"]
    assert error["code"] == "model_crashed" and "retry" in error["message"] and "saved" not in error["message"]
    assert events[errors[0] + 1:] in ([], [{"done": True}])   # nothing after it but the end of the stream
    assert not any(e.get("choices") and e["choices"][0].get("finish_reason") for e in events)   # not "finished"
    # the openai SDK raises it too, and the server (and a new worker) answers the next request
    client = openai.OpenAI(base_url=f"{api.url}/v1", api_key="unused", max_retries=0)
    with pytest.raises(openai.APIError):
        stream = client.chat.completions.create(model=api.worker.loaded_id, stream=True, max_tokens=400,
                                                messages=body["messages"])
        for n, _chunk in enumerate(stream):
            if n == 3:
                _kill_llama_worker()
    again = client.chat.completions.create(model=api.worker.loaded_id, max_tokens=8,
                                           messages=[{"role": "user", "content": "Hi"}])
    assert again.choices[0].message.content
