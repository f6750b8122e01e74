"""What the model manager lists, computed without widgets: the catalog in sections, tags, locations.

The catalog is shown in three sections (chat models, models that can see
images, embedding models) so that a newcomer never downloads an embedding
model to chat with. The "can see images" section is exactly
:func:`engine.models.vision.vision_models`, the list the "this model cannot
see images" refusal names: one source of truth. Capability tags go through
Qt's translation; paths are shown the way a user knows them ("Hearth's
models folder", ``~/…``).
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from PySide6.QtCore import QCoreApplication

from desktop.plain import visible
from engine.machine import machine_memory
from engine.models.catalog import Catalog, CatalogEntry, estimated_bytes, load_catalog, recommend
from engine.models.files import format_bytes, format_parameters
from engine.models.vision import vision_models

SECTIONS = ("chat", "vision", "embedding")
# Every string here is in the manager's translation context, "ModelManager", spelled out in each call:
# pyside6-lupdate finds only literal QCoreApplication.translate(...) calls.


def capability_label(capability: str) -> str:
    """A catalog tag in the interface language (unknown tags are shown as they are)."""
    labels = {
        "chat": QCoreApplication.translate("ModelManager", "chat"),
        "reasoning": QCoreApplication.translate("ModelManager", "reasoning"),
        "tools": QCoreApplication.translate("ModelManager", "tools"),
        "vision": QCoreApplication.translate("ModelManager", "vision"),
        "embedding": QCoreApplication.translate("ModelManager", "embedding"),
    }
    return labels.get(capability, capability)


def section_title(section: str) -> str:
    titles = {
        "chat": QCoreApplication.translate("ModelManager", "Chat models"),
        "vision": QCoreApplication.translate("ModelManager", "Chat models that can see images"),
        "embedding": QCoreApplication.translate("ModelManager",
                                                "Embedding models (for knowledge bases, not for chatting)"),
    }
    return titles[section]


@dataclass(frozen=True)
class CatalogRow:
    """One catalog model as the manager lists it."""

    name: str
    repo: str
    section: str                 # chat | vision | embedding
    tags: tuple[str, ...]        # capabilities worth saying (not "chat" in the chat sections)
    parameters: int
    size_bytes: int              # the download of the file that would be chosen here
    recommended: bool
    fits: bool
    blind: bool = False          # made to see images, but Hearth cannot show it any (not in the vision list)

    def text(self) -> str:
        """The list's two lines: name (tags, size) and repository; tags and notes translated."""
        tags = " · ".join(capability_label(t) for t in self.tags) or capability_label("chat")
        size = f"~{format_bytes(self.size_bytes)}" if self.size_bytes else ""
        details = ", ".join(part for part in (tags, format_parameters(self.parameters), size) if part)
        notes = [QCoreApplication.translate("ModelManager", "too big for this computer")] if not self.fits else []
        if self.blind:
            notes.append(QCoreApplication.translate("ModelManager", "Hearth cannot show this model images"))
        note = "".join(" — " + n for n in notes)
        return f"{'★ ' if self.recommended else ''}{visible(self.name)}  ({details}){note}\n{visible(self.repo)}"

    def matches(self, query: str) -> bool:
        """Every word of ``query`` is in the name or repository (case-insensitive)."""
        haystack = f"{self.name} {self.repo}".lower()
        return all(word in haystack for word in query.lower().split())


def section_of(entry: CatalogEntry, seeing: set[str]) -> str:
    if entry.has("embedding") and not entry.has("chat"):
        return "embedding"
    return "vision" if entry.id in seeing else "chat"


def catalog_rows(n_ctx: int, catalog: Catalog | None = None) -> list[CatalogRow]:
    """The catalog for this computer, by section, biggest first, the recommendation (★) first.

    Chat and embedding models that do not fit are left out; every model that can see images is
    listed (marked when too big), so this section names the same models as the vision refusal.
    Reads the catalog file and the machine's memory: call it off the GUI thread."""
    catalog = catalog or load_catalog()
    machine = machine_memory()
    budget = 0.75 * (machine.available_ram + machine.gpu_free)
    best = recommend(catalog, ram_bytes=machine.available_ram, vram_bytes=machine.gpu_free, n_ctx=n_ctx,
                     exclude={catalog.starter.entry_id} if catalog.starter else set())
    seeing = {e.id for e in vision_models(catalog)}
    rows: list[CatalogRow] = []
    for entry in sorted(catalog.entries, key=lambda e: -e.parameters):
        section = section_of(entry, seeing)
        fitting = [f for f in entry.files if estimated_bytes(entry, f, n_ctx) <= budget]
        if not fitting and section != "vision":
            continue
        file = fitting[-1] if fitting else entry.files[0]
        size = file.total_bytes or int((file.approx_size_gb or 0) * 1e9)
        # "vision" is said only of models Hearth can show images to (the refusal's list)
        tags = tuple(c for c in entry.capabilities if c != "chat" and (c != "vision" or entry.id in seeing))
        rows.append(CatalogRow(entry.name, entry.repo, section, tags, entry.parameters, size,
                               best is not None and best[0].id == entry.id, bool(fitting),
                               blind=entry.has("vision") and entry.id not in seeing))
    rows.sort(key=lambda r: (SECTIONS.index(r.section), not r.recommended))   # stable: biggest first within
    return rows


def friendly_location(path: str | Path, models_dir: Path) -> str:
    """Where a model file is, as a user knows it: "Hearth's models folder", ``~/Downloads``, else the folder."""
    folder = Path(path).parent
    ours = QCoreApplication.translate("ModelManager", "Hearth's models folder")
    for base, label in ((models_dir, ours), (Path.home(), "~")):
        try:
            inside = folder.resolve().relative_to(base.resolve())
        except (ValueError, OSError):
            continue
        return label if inside == Path(".") else f"{label}/{inside.as_posix()}"
    return str(folder)
