"""Front doors that load their names on first use (PEP 562).

A package's ``__init__`` lists where each public name lives; nothing is
imported until a name is asked for, so a process that needs one part (the
llama.cpp worker imports only ``engine.runtime`` and ``engine.models.gguf``)
never loads the rest, above all the database layer, whose optional imports
(pandas, pyarrow) crash llama.cpp's CUDA loader when present.
"""
from __future__ import annotations

from importlib import import_module
from typing import Any, Callable


def front_door(package: str, where: dict[str, str], namespace: dict[str, Any]) -> Callable[[str], Any]:
    """A module ``__getattr__`` for ``package``: ``where`` maps a name to its module (relative to the
    package); a name not listed is tried as a submodule."""
    def __getattr__(name: str) -> Any:
        module = where.get(name)
        if module is None:
            try:
                return import_module(f".{name}", package)
            except ModuleNotFoundError as exc:
                if exc.name != f"{package}.{name}":
                    raise
                raise AttributeError(f"module {package!r} has no attribute {name!r}") from None
        value = getattr(import_module(module, package), name)
        namespace[name] = value
        return value
    return __getattr__
