"""Untrusted chat templates render in a child process where a memory and a time limit really hold.

The sandbox (:mod:`engine.models.template_sandbox`) refuses the gigantic values it
can foresee, but one C-level call cannot be interrupted by a deadline and a
template can grow memory in ways no single check sees. So templates from model
files render in one persistent child process (spawned once, restarted after a
kill) with ``RLIMIT_AS`` set, and the parent kills it when it overruns its
deadline. Honest renders stay fast: the child caches compiled templates by hash
and a request is a few kilobytes of JSON over a pipe.

The parent never unpickles what the child says: replies are JSON bytes, read
with a size cap.
"""
from __future__ import annotations

import atexit
import json
import multiprocessing as mp
import threading
import time
from collections import OrderedDict
from typing import Any

from engine import errors
from engine.childproc import die_with_parent, limit_memory, start_child
from engine.models.template_sandbox import MAX_TEXT, compile_template, render_compiled

__all__ = ["MEMORY_LIMIT", "TemplateRenderer", "renderer", "shutdown_renderer"]

MEMORY_LIMIT = 1 << 30        # address space of the child (RLIMIT_AS), bytes
KILL_GRACE_S = 0.3            # how long past the deadline the parent waits before it kills the child
START_LIMIT_S = 20.0          # how long a fresh child may take to say it is ready
CACHE_SIZE = 16               # compiled templates the child keeps
MAX_REPLY_BYTES = 4 * MAX_TEXT + 1024
_ERRORS = {cls.__name__: cls for cls in (errors.TemplateError, errors.TemplateTimeout, errors.UnsafeTemplate,
                                         errors.TemplateTooLarge)}


def _encode(obj: Any) -> bytes:
    return json.dumps(obj, ensure_ascii=False, default=str).encode("utf-8", "surrogatepass")


def _decode(data: bytes) -> Any:
    return json.loads(data.decode("utf-8", "surrogatepass"))


# --- the child -----------------------------------------------------------------------

def _serve(request: dict[str, Any], cache: OrderedDict[str, Any]) -> dict[str, Any]:
    origin = request["origin"]
    key = request["key"] + "\0" + origin
    template = cache.get(key)
    if template is None:
        if request.get("source") is None:
            return {"need_source": True}
        template = compile_template(request["source"], origin)
        cache[key] = template
        while len(cache) > CACHE_SIZE:
            cache.popitem(last=False)
    cache.move_to_end(key)
    return {"ok": render_compiled(template, request["variables"], request["timeout"], origin)}


def _child(conn: Any, memory_limit: int) -> None:
    """Say ready, then answer render requests on ``conn`` until it closes."""
    die_with_parent()
    limit_memory(memory_limit)
    cache: OrderedDict[str, Any] = OrderedDict()
    conn.send_bytes(b'{"ready": true}')
    while True:
        try:
            data = conn.recv_bytes()
        except (EOFError, OSError, KeyboardInterrupt):
            return
        try:
            try:
                reply = _serve(_decode(data), cache)
            except errors.TemplateError as exc:
                reply = {"error": type(exc).__name__, "message": exc.message}
            answer = _encode(reply)
            del reply
        except MemoryError:
            answer = _encode({"error": "TemplateTooLarge", "message": "needed more memory than allowed"})
        try:
            conn.send_bytes(answer)
        except (EOFError, OSError):
            return
        del answer


# --- the parent ------------------------------------------------------------------------

class TemplateRenderer:
    """The parent's handle on the renderer child; thread-safe (renders are serialised)."""

    def __init__(self, memory_limit: int = MEMORY_LIMIT) -> None:
        self.memory_limit = memory_limit
        self._ctx = mp.get_context("spawn")
        self._lock = threading.Lock()
        self._proc: Any = None
        self._conn: Any = None
        self._ready = False
        self._known: set[str] = set()   # keys (hash + origin) this child has compiled

    @property
    def pid(self) -> int | None:
        return self._proc.pid if self._proc is not None and self._proc.is_alive() else None

    def start(self) -> None:
        """Start the child now (without waiting for it), so that the first render does not wait as long."""
        with self._lock:
            self._ensure()

    def close(self) -> None:
        with self._lock:
            self._drop()

    def render(self, source: str, key: str, origin: str, variables: dict[str, Any], timeout_s: float) -> str:
        """Render ``source`` with ``variables`` in the child; errors come back as the engine's TemplateErrors."""
        payload = _encode(variables)
        with self._lock:
            self._ensure()
            self._wait_ready(origin)
            cache_key = key + "\0" + origin
            reply = self._ask(payload, key, origin, None if cache_key in self._known else source, timeout_s)
            if reply.get("need_source"):
                reply = self._ask(payload, key, origin, source, timeout_s)
            self._known.add(cache_key)
        if "ok" in reply and isinstance(reply["ok"], str):
            return reply["ok"]
        cls = _ERRORS.get(str(reply.get("error")), errors.TemplateError)
        message = str(reply.get("message", "failed"))
        if not message.startswith("The chat template of "):
            message = f"The chat template of {origin} {message}."
        raise cls(message, path=origin)

    # --- internals (with the lock held) --------------------------------------------------
    def _ensure(self) -> None:
        if self._proc is not None and self._proc.is_alive():
            return
        self._drop()
        parent, child = self._ctx.Pipe(duplex=True)
        proc = self._ctx.Process(target=_child, args=(child, self.memory_limit), name="hearth-template",
                                 daemon=True)
        try:
            start_child(proc)   # ignores Ctrl+C: this process stops it
        finally:
            child.close()
        self._proc, self._conn, self._ready, self._known = proc, parent, False, set()

    def _drop(self) -> int | None:
        code = None
        if self._conn is not None:
            self._conn.close()
        if self._proc is not None:
            if self._proc.is_alive():
                self._proc.kill()
            self._proc.join(timeout=5)
            code = self._proc.exitcode
        self._proc = self._conn = None
        self._ready = False
        return code

    def _wait_ready(self, origin: str) -> None:
        if self._ready:
            return
        try:
            ok = self._conn.poll(START_LIMIT_S) and self._conn.recv_bytes(64) == b'{"ready": true}'
        except (EOFError, OSError):
            ok = False
        if not ok:
            code = self._drop()
            raise errors.TemplateError(f"The chat template of {origin} could not be rendered: the template "
                                       f"renderer did not start ({errors.ModelCrashed.describe_exit(code)}).",
                                       path=origin)
        self._ready = True

    def _ask(self, payload: bytes, key: str, origin: str, source: str | None, timeout_s: float) -> dict[str, Any]:
        head = _encode({"key": key, "origin": origin, "source": source, "timeout": timeout_s})
        request = head[:-1] + b', "variables": ' + payload + b"}"
        started = time.monotonic()
        try:
            self._conn.send_bytes(request)
            if self._conn.poll(timeout_s + KILL_GRACE_S):
                reply = _decode(self._conn.recv_bytes(MAX_REPLY_BYTES))
                if isinstance(reply, dict):
                    return reply
                raise ValueError("not an object")
        except (EOFError, OSError, ValueError):
            code = self._drop()
            self._ensure()
            raise errors.TemplateTooLarge(
                f"The chat template of {origin} stopped the template renderer "
                f"({errors.ModelCrashed.describe_exit(code)}); it probably needed more memory than allowed "
                f"({self.memory_limit >> 20} MB).", path=origin) from None
        self._drop()
        self._ensure()   # a fresh child for the next render, starting now
        raise errors.TemplateTimeout(f"The chat template of {origin} took longer than {timeout_s:g} s to render "
                                     f"and was stopped after {time.monotonic() - started:.1f} s.", path=origin)


_renderer: TemplateRenderer | None = None
_renderer_lock = threading.Lock()


def renderer() -> TemplateRenderer:
    """The process-wide renderer (created on first use)."""
    global _renderer
    with _renderer_lock:
        if _renderer is None:
            _renderer = TemplateRenderer()
            atexit.register(shutdown_renderer)
        return _renderer


def shutdown_renderer() -> None:
    """Stop the renderer child (at application shutdown; a later render starts a new one)."""
    with _renderer_lock:
        if _renderer is not None:
            _renderer.close()


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit("engine.models.template_renderer is started by Hearth, not run directly.")
