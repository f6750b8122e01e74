"""One runtime for the chat service whatever computes the reply: this computer's llama.cpp worker or a
remote backend.

``Runtimes`` is what ``Home.runtime()`` hands out. Loading a local file goes to the local runtime;
loading ``remote://backend/model`` binds the remote one and unloads the local chat model (its memory
is better left to the rest of the machine; the embedding model stays loaded for the knowledge base).
The chat calls (``info``, ``count_tokens``, ``image_tokens``, ``generate``, ``cancel``) go to whichever
was loaded last; everything else (embeddings, the worker's pid, closing) is the local runtime's.
"""
from __future__ import annotations

from typing import Any, Callable, Iterator, Mapping, Sequence

from engine.remote.backend import Backend
from engine.remote.runtime import RemoteRuntime, parse_remote_path
from engine.runtime.client import Runtime
from engine.runtime.formats import response_format_parts
from engine.runtime.records import Done, ModelInfo
from engine.sampling import CancelToken, Sampling


class Runtimes:
    """The local ``Runtime`` and a ``RemoteRuntime``, the chat calls going to the one in use."""

    def __init__(self, local: Runtime, backends: Callable[[], list[Backend]]) -> None:
        self.local = local
        self.remote = RemoteRuntime(backends)
        self._active: Runtime | RemoteRuntime = local

    @property
    def is_remote(self) -> bool:
        return self._active is self.remote

    @property
    def info(self) -> ModelInfo | None:
        return self._active.info

    def load(self, path: Any, **options: Any) -> ModelInfo:
        if parse_remote_path(str(path)) is not None:
            info = self.remote.load(str(path), n_ctx=options.get("n_ctx"))
            if self.local.info is not None:
                self.local.unload()
            self._active = self.remote
            return info
        self.remote.unload()
        self._active = self.local
        return self.local.load(path, **options)

    def count_tokens(self, text: str) -> int:
        return self._active.count_tokens(text)

    def image_tokens(self, sizes: Sequence[tuple[int, int]]) -> list[int]:
        return self._active.image_tokens(sizes)

    def grammar_for(self, response_format: Mapping[str, Any] | None) -> str:
        """The local model's grammar for an OpenAI ``response_format``; "" for a remote model, whose server
        gets the ``response_format`` itself (see :meth:`generate`)."""
        if self.is_remote:
            response_format_parts(response_format)   # a malformed one is refused alike
            return ""
        return self.local.grammar_for(response_format)

    def generate(self, prompt: str, sampling: Sampling, *, images: Sequence[tuple[int, int, bytes]] = (),
                 cancel: CancelToken | None = None, reuse_prefix: bool = True, grammar: str = "",
                 response_format: Mapping[str, Any] | None = None) -> Iterator[str | Done]:
        """A local model gets ``grammar`` (from :meth:`grammar_for`); a remote one ``response_format``."""
        if self.is_remote:
            return self.remote.generate(prompt, sampling, images=images, cancel=cancel, reuse_prefix=reuse_prefix,
                                        response_format=response_format)
        extra: dict[str, Any] = {"grammar": grammar} if grammar else {}
        return self.local.generate(prompt, sampling, images=images, cancel=cancel, reuse_prefix=reuse_prefix,
                                   **extra)

    def cancel(self) -> None:
        self._active.cancel()

    def unload(self) -> None:
        self._active.unload()
        self._active = self.local

    def close(self) -> None:
        self.remote.close()
        self.local.close()

    def __enter__(self) -> "Runtimes":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __getattr__(self, name: str) -> Any:   # embeddings, worker_pid, load options…: the local runtime's
        return getattr(self.local, name)
