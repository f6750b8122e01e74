"""One error hierarchy for everything a user can meet.

Every error says what happened (``str(err)``) and what to do about it
(``err.hint``); the GUI and the terminal show both. Library errors are
translated into these at the engine's boundary.
"""
from __future__ import annotations

import signal
from collections.abc import Mapping
from pathlib import Path


class HearthError(Exception):
    """Base class: a message for people plus a hint saying what to do.

    The English ``message`` and ``hint`` serve the terminal and the logs. For the window, which speaks
    the user's language, an error also carries its ``code`` (the class name), a ``reason`` naming which
    of the class's messages it is ("not_gguf", "incomplete"…; "" for the plain one) and the ``params``
    that message is made of (path, name, sizes…): the desktop renders code + reason + params through
    its translation catalogue, and falls back to the English text for an error it has no rendering for.
    """

    hint: str = ""

    def __init__(self, message: str, *, hint: str = "", path: str | Path | None = None, reason: str = "",
                 params: Mapping[str, object] | None = None) -> None:
        super().__init__(message)
        self.message = message
        if hint:
            self.hint = hint
        self.path = str(path) if path is not None else None
        self.reason = reason
        self.params: dict[str, object] = dict(params or {})
        if self.path is not None:
            self.params.setdefault("path", self.path)
            self.params.setdefault("name", Path(self.path).name or self.path)

    @property
    def code(self) -> str:
        """What kind of error this is, stable across languages: the class name ("ModelInvalid")."""
        return type(self).__name__

    @property
    def hint_is_default(self) -> bool:
        """Whether the hint is the class's own (not one written for this occurrence)."""
        return "hint" not in self.__dict__

    def __str__(self) -> str:
        return self.message

    def full_text(self) -> str:
        """Message and hint together, for a terminal or a dialog."""
        return f"{self.message}\n{self.hint}" if self.hint else self.message


# --- models and the runtime -------------------------------------------------

class ModelError(HearthError):
    """Something is wrong with a model file or the process running it."""


class ModelNotFound(ModelError, FileNotFoundError):
    hint = "Check the path, or pick another model from the model list."


class ModelInvalid(ModelError):
    """The file is not a usable GGUF model (truncated, corrupt, not GGUF)."""

    hint = "The file is incomplete or corrupt: download it again, or choose another model file."


class ModelLoadFailed(ModelError):
    hint = ("llama.cpp could not load this model. It may need more memory than is free, "
            "or a newer Hearth. Try a smaller model or a smaller context size.")


class ModelCrashed(ModelError):
    """The worker process running llama.cpp died."""

    hint = "Your conversation is saved. Reload the model to continue; if it happens again, try another model."

    def __init__(self, message: str, *, exitcode: int | None = None, **kw: object) -> None:
        super().__init__(message, **kw)  # type: ignore[arg-type]
        self.exitcode = exitcode
        self.params.setdefault("exitcode", exitcode)

    @staticmethod
    def describe_exit(exitcode: int | None) -> str:
        """'signal SIGSEGV', 'exit code 3' or 'an unknown cause'."""
        if exitcode is None:
            return "an unknown cause"
        if exitcode < 0:
            try:
                return f"signal {signal.Signals(-exitcode).name}"
            except ValueError:
                return f"signal {-exitcode}"
        return f"exit code {exitcode}"


class NoModelLoaded(ModelError):
    hint = "Choose a model first."


class TemplateError(ModelError):
    """The model's chat template could not be used."""

    hint = "Choose a built-in chat template for this model in its settings."


class UnsafeTemplate(TemplateError):
    """The chat template tried to reach Python internals; nothing was run."""

    hint = ("This model file carries a chat template that tries to run code. Hearth refused it. "
            "Use it with a built-in template, or choose another model file.")


class TemplateTimeout(TemplateError):
    hint = "The model's chat template took too long to render. Use a built-in template for this model."


class GrammarInvalid(ModelError):
    """A grammar (GBNF) or JSON schema that llama.cpp cannot constrain a reply with; nothing was generated.
    Met through the API only: each occurrence carries its hint (``engine.runtime.formats.GRAMMAR_HINT``)."""


# --- context budget ---------------------------------------------------------

class ContextError(HearthError):
    """The conversation does not fit the model's context window."""


class MessageTooLong(ContextError):
    hint = "Shorten the message, raise the context size, or add the text to a knowledge base instead."


class ContextFull(ContextError):
    """The conversation's policy is to refuse rather than drop old turns."""

    hint = "Start a new conversation, raise the context size, or allow dropping the oldest turns."


class ConversationInvalid(HearthError):
    """A conversation given as data (``hearth prompt --messages``) that is not one."""

    hint = ('Give a JSON list of messages such as [{"role": "user", "content": "Hello"}]: roles "system" (first '
            'only), "user" and "assistant", text content, the last message from the user.')


# --- storage ----------------------------------------------------------------

class StoreError(HearthError):
    hint = "Hearth's database could not be used. Check that the disk is not full and the data folder is writable."


class ConversationNotFound(StoreError, KeyError):
    hint = "It may have been deleted. Pick another conversation."


class MessageNotFound(StoreError, KeyError):
    hint = "It may have been deleted."


# --- the Hugging Face Hub and downloads ----------------------------------------

class HubError(HearthError):
    """Talking to the model hub failed."""

    hint = "Check the internet connection and try again; installed models keep working offline."


class HubOffline(HubError):
    """The hub cannot be reached (no network, DNS failure, refused, timed out)."""

    hint = "Hearth is offline. Installed models keep working; search and downloads need the internet."


class RepoNotFound(HubError):
    hint = "Check the repository name (owner/name). Private or gated repositories need a login on huggingface.co."


class RemoteFileNotFound(HubError):
    hint = "The file is not in this repository (any more). List the repository's files and pick another."


class DownloadError(HubError):
    """A download did not produce a verified model file."""


class DownloadIncomplete(DownloadError):
    hint = "The partial file is kept: start the download again and it resumes where it stopped."


class ChecksumMismatch(DownloadError):
    hint = "The downloaded file was corrupt and has been deleted. Download it again."


class NotEnoughDisk(DownloadError):
    hint = "Free some disk space (or delete models you no longer use), then try again."


class UnsafeFileName(DownloadError):
    hint = "The repository names a file outside the models folder; Hearth refuses to write it. Pick another file."


class DownloadCancelled(DownloadError):
    """The user stopped a download; the partial file is kept for a later resume."""

    hint = "The partial file is kept: start the download again to resume it, or discard it to free the space."


# --- documents and the knowledge base ------------------------------------------

class KnowledgeError(HearthError):
    """Something went wrong with a knowledge collection or one of its documents."""


class CollectionNotFound(KnowledgeError, KeyError):
    hint = "Check the name with `hearth kb list`, or create it with `hearth kb create NAME`."


class CollectionExists(KnowledgeError):
    hint = "Pick another name, or add files to the existing collection."


class DocumentError(KnowledgeError):
    """One document could not be read; indexing goes on with the others."""

    hint = "The other documents are indexed. Fix or convert this file, then re-index."


class DocumentUnsupported(DocumentError):
    hint = "Supported: .txt, .md, .html, .pdf, .docx, .csv and source code. Convert the file to one of these."


class DocumentUnreadable(DocumentError):
    """Corrupt, encrypted, or not what its name says."""

    hint = "The file may be damaged or password-protected. Open it in its own program, save a new copy, and re-index."


class DocumentTimeout(DocumentError):
    hint = "Reading this file took too long and was stopped. Split it, or save it in a simpler format (for example plain text)."


class DocumentTooLarge(DocumentError):
    hint = "Reading this file needed more memory than allowed and was stopped. Split it into smaller files."


class EmbeddingModelMissing(KnowledgeError):
    hint = "Install an embedding model from File → Models… (for example nomic-embed-text or bge-m3), or run scripts/install.sh."


# --- attachments: images and documents sent with a message ----------------------

class AttachmentError(HearthError):
    """A file cannot be attached to a message (its message names the file)."""

    hint = ("Attach images (PNG, JPEG, WebP, GIF, BMP) or documents (.txt, .md, .html, .pdf, .docx, .csv, "
            "source code).")


class ImageRejected(AttachmentError):
    """Not an allowed image format, too many pixels (a decompression bomb), or damaged."""

    hint = "Save the image as PNG or JPEG, at most 40 megapixels, and attach it again."


class VisionUnsupported(AttachmentError):
    """The loaded model has no image projector: images cannot reach it."""

    def __init__(self, message: str, *, suggestions: list[str] | None = None, hint: str = "",
                 path: str | Path | None = None) -> None:
        self.suggestions = list(suggestions or [])
        if not hint:
            models = f" ({', '.join(self.suggestions)})" if self.suggestions else ""
            hint = (f"Choose a vision model{models}, or load this model's image projector (its mmproj file). "
                    "Or remove the images and send the text alone.")
        super().__init__(message, hint=hint, path=path)


class AttachmentTooLarge(AttachmentError):
    """Attached documents do not fit in the context; nothing was sent or cut."""

    hint = ("Add the document to a knowledge base instead: Hearth then sends only the passages that answer "
            "each question. Or load the model with a larger context.")

    def __init__(self, message: str, *, names: list[str] | None = None, tokens: int = 0, room: int = 0,
                 hint: str = "", path: str | Path | None = None) -> None:
        super().__init__(message, hint=hint, path=path)
        self.names = list(names or [])   # the documents, largest first
        self.tokens = tokens             # what they need
        self.room = room                 # what the context leaves them


class AttachmentNotAFile(AttachmentError):
    """A folder, a device, a pipe or a socket where a file to attach was expected; refused before it is read."""

    hint = "Attach a regular file (an image or a document). Folders, devices and pipes cannot be attached."


class AttachmentFileTooLarge(AttachmentError):
    """A file too large to attach (its bytes on disk, or the characters of its text); refused before it is
    read whole or parsed."""

    hint = ("Add it to a knowledge base instead: Hearth then sends only the passages that answer each question. "
            "Or split it into smaller files.")

    def __init__(self, message: str, *, size: int = 0, limit: int = 0, hint: str = "",
                 path: str | Path | None = None, reason: str = "",
                 params: Mapping[str, object] | None = None) -> None:
        super().__init__(message, hint=hint, path=path, reason=reason,
                         params={"size": size, "limit": limit, **(params or {})})
        self.size = size     # bytes (or characters, for extracted text)
        self.limit = limit   # what is accepted, in the same unit


class DocumentNotText(DocumentUnreadable):
    """A file named as text (.txt, .md, .csv...) whose bytes are not text in any encoding Hearth knows."""

    hint = "The file is binary data with a text file's name. Open it in its own program, or leave it out."


class DocumentOutsideFolder(DocumentUnsupported):
    """A link (or a file swapped for one) that leads out of the folder the user chose; never read."""

    hint = "Hearth reads only what lies inside the folders you chose. Copy the file into the folder to index it."


class DocumentNotAFile(DocumentUnsupported):
    """A FIFO, a device, a socket or a folder where a document was expected; never opened for reading."""

    hint = "Only regular files are indexed."


class TemplateTooLarge(TemplateError):
    """The chat template tried to build a gigantic text or value, or ran out of the memory allowed to it."""

    hint = ("The model's chat template tried to build far more text than a prompt needs and was stopped. "
            "Use a built-in chat template for this model, or use another model file.")


class ModelBroken(ModelInvalid):
    """llama.cpp crashed on this same file (same path, size and modification time) again and again:
    the file itself is broken, and reloading it would only crash again."""

    hint = ("Download the model again (or another conversion of it), or pick another model. "
            "Reloading this file will crash llama.cpp again.")

    def __init__(self, message: str, *, exitcode: int | None = None, **kw: object) -> None:
        super().__init__(message, **kw)  # type: ignore[arg-type]
        self.exitcode = exitcode
        self.params.setdefault("exitcode", exitcode)


# --- the database itself: damaged, read-only, or on a full disk ------------------

class DatabaseCorrupt(StoreError):
    """SQLite found damaged pages, the file is not a database (any more), or its schema cannot be read."""

    hint = ("Hearth's database is damaged. Open the Hearth window: it offers to restore the newest backup "
            "(kept in the 'backups' folder beside the database) or to keep the damaged file aside and start fresh. "
            "Nothing is deleted.")


class DatabaseReadOnly(StoreError):
    """The database file (or its folder) cannot be written to."""

    hint = "Check the permissions of the database file and its folder: Hearth needs to write to both."


class DiskFull(StoreError):
    """The disk holding the database (or its attachments) is full; what was committed before is kept."""

    hint = "Free some disk space, then try again. Everything saved before is kept."


class DatabaseUnavailable(StoreError):
    """The database could not be opened or read (an I/O error, a missing folder, a file it cannot open)."""

    hint = "Check that the disk is connected and healthy, and the permissions of the database file and its folder."


# --- replies from the model hub that Hearth refuses to use ----------------------

class HubReplyRefused(HubError):
    """A reply from the model hub was refused before it was used: too large, nested too deep, too slow,
    or not the answer expected. ``endpoint`` names the request, ``limit`` the bound it broke (if any)."""

    hint = ("The model hub (or a proxy or mirror in between, see HF_ENDPOINT) sent an answer Hearth will not use. "
            "Try again later; installed models keep working.")

    def __init__(self, message: str, *, endpoint: str = "", limit: int | float | None = None, hint: str = "",
                 path: str | Path | None = None) -> None:
        super().__init__(message, hint=hint, path=path)
        self.endpoint = endpoint
        self.limit = limit


class HubReplyTooLarge(HubReplyRefused):
    """More bytes (after decompression) than Hearth reads for this kind of request."""


class HubReplyTooDeep(HubReplyRefused):
    """JSON nested deeper than any answer of the Hub is."""


class HubReplyTooSlow(HubReplyRefused):
    """The reply did not arrive whole within its overall deadline (a trickle)."""

    hint = ("The model hub answered too slowly. Check the connection (or the mirror in HF_ENDPOINT) "
            "and try again; installed models keep working.")


class HubReplyMalformed(HubReplyRefused):
    """Not the JSON (or the encoding) expected."""


# --- remote backends (OpenAI-compatible servers Hearth is a client of) ----


# Errors of talking to other programs over HTTP (remote engines, the local API) live in their own module;
# they belong to this one hierarchy and are importable from here.
from engine.network_errors import *  # noqa: E402,F401,F403
