"""The translatable texts of engine errors, for the window.

The engine writes its errors in English and gives each a code (its class), a reason and parameters
(``engine.errors.HearthError``). Here are the source strings the window renders them with, marked for
``pyside6-lupdate`` so that ``desktop/i18n/*.ts`` carries them:

* ``MESSAGES``: a message template per (code, reason), filled with the error's parameters ({name}…);
* ``HINT_TEMPLATES``: the same for hints written for one occurrence with its own parameters;
* ``MESSAGE_TEXTS``, ``HINT_TEXTS``: constant messages and hints, looked up by their English text
  (every class's own hint is here: tests/desktop/test_error_translation.py checks that none is missing);
* ``WORDS``: parameter values the engine gives in English ("a JPEG image").

``HINT_TEXTS`` and ``WORDS`` live in :mod:`desktop.error_hints` (imported here).
``desktop.errors_ui`` does the rendering and falls back to the English text for anything not here.
"""
from __future__ import annotations

from PySide6.QtCore import QT_TRANSLATE_NOOP

from desktop.error_hints import HINT_TEXTS, WORDS

__all__ = ["HINT_TEMPLATES", "HINT_TEXTS", "MESSAGES", "MESSAGE_TEXTS", "SKIPPED", "WORDS"]

MESSAGES: dict[tuple[str, str], str] = {
    ("ModelInvalid", "not_gguf_kind"):
        QT_TRANSLATE_NOOP("ErrorMessage", "{name} is not a GGUF model file ({kind})."),
    ("ModelInvalid", "not_gguf"):
        QT_TRANSLATE_NOOP("ErrorMessage", "{name} is not a GGUF model file."),
    ("ModelInvalid", "html"):
        QT_TRANSLATE_NOOP("ErrorMessage", "{name} is a web page (HTML), not a GGUF model: the download "
                                          "probably failed."),
    ("ModelInvalid", "lfs_pointer"):
        QT_TRANSLATE_NOOP("ErrorMessage", "{name} is a Git LFS pointer, not the model itself."),
    ("ModelInvalid", "ggml"):
        QT_TRANSLATE_NOOP("ErrorMessage", "{name} is an old GGML model file, from before GGUF."),
    ("ModelInvalid", "incomplete"):
        QT_TRANSLATE_NOOP("ErrorMessage", "{name} is incomplete: only {percent}% of it is present ({size} of "
                                          "{needed} bytes); the download was probably cut short."),
    ("ModelInvalid", "corrupt"):
        QT_TRANSLATE_NOOP("ErrorMessage", "{name} is damaged: its contents are not those of a valid GGUF "
                                          "model file."),
    ("ModelInvalid", "link_loop"):
        QT_TRANSLATE_NOOP("ErrorMessage", "{name} is a symbolic link that loops back on itself, not a model file."),
    ("ModelInvalid", "unreadable"):
        QT_TRANSLATE_NOOP("ErrorMessage", "{name} could not be read ({said})."),
    ("ModelInvalid", "not_a_file"):
        QT_TRANSLATE_NOOP("ErrorMessage", "{name} is {kind}, not a model file; Hearth reads only regular files."),
    ("ModelInvalid", "part_missing"):
        QT_TRANSLATE_NOOP("ErrorMessage", "Part {part} of {parts} of the split model {name} ({file}) is missing."),
    ("ModelInvalid", "adapter"):
        QT_TRANSLATE_NOOP("ErrorMessage", "{name} is a LoRA adapter, not a model."),
    ("ModelInvalid", "split_name"):
        QT_TRANSLATE_NOOP("ErrorMessage", "{name} is one part of a model split in {parts}, but its name does not "
                                          "follow the pattern {pattern}."),
    ("ModelInvalid", "vocab_only"):
        QT_TRANSLATE_NOOP("ErrorMessage", "{name} contains no weights (a vocabulary-only file)."),
    ("ModelInvalid", "unloadable"):
        QT_TRANSLATE_NOOP("ErrorMessage", "llama.cpp cannot load {name}: {detail}."),
    ("ModelInvalid", "architecture"):
        QT_TRANSLATE_NOOP("ErrorMessage", "{name} uses the architecture {arch}, which the llama.cpp in this Hearth "
                                          "does not know."),
    ("ModelNotFound", "dangling"):
        QT_TRANSLATE_NOOP("ErrorMessage", "{name} is a link to a file that does not exist."),
    ("ModelNotFound", "folder"):
        QT_TRANSLATE_NOOP("ErrorMessage", "{name} is a folder, not a model file."),
    ("ModelNotFound", "missing"):
        QT_TRANSLATE_NOOP("ErrorMessage", "There is no model file at {path}."),
    ("ModelLoadFailed", "refused"):
        QT_TRANSLATE_NOOP("ErrorMessage", "llama.cpp refused to load {name}. llama.cpp says: {said}"),
    ("ModelCrashed", ""):
        QT_TRANSLATE_NOOP("ErrorMessage", "The process running {name} stopped unexpectedly ({exit})."),
    ("ModelBroken", ""):
        QT_TRANSLATE_NOOP("ErrorMessage", "{name} is broken: llama.cpp crashed on it {count} times ({exit} "
                                          "the last time), so Hearth will not load it again."),
    ("ModelBroken", "projector"):
        QT_TRANSLATE_NOOP("ErrorMessage", "The image projector {name} is broken or does not fit {model}: "
                                          "llama.cpp crashed {count} times with it ({exit} the last time), so "
                                          "Hearth will not load this pair again."),
    ("MessageTooLong", ""):
        QT_TRANSLATE_NOOP("ErrorMessage", "This message needs {tokens} tokens with the system prompt, but the "
                                          "context holds {n_ctx} tokens and {reserve} are kept for the reply, "
                                          "leaving {budget}."),
    ("ContextFull", ""):
        QT_TRANSLATE_NOOP("ErrorMessage", "The conversation needs {tokens} tokens but only {budget} are "
                                          "available ({n_ctx} in the context, {reserve} kept for the reply)."),
    ("ContextFull", "unknown"):
        QT_TRANSLATE_NOOP("ErrorMessage", "The conversation needs more tokens than the {budget} available "
                                          "({n_ctx} in the context, {reserve} kept for the reply)."),
    ("HubOffline", ""):
        QT_TRANSLATE_NOOP("ErrorMessage", "The model hub ({endpoint}) cannot be reached."),
    ("HubOffline", "download"):
        QT_TRANSLATE_NOOP("ErrorMessage", "The model hub ({endpoint}) cannot be reached to download {file}."),
    ("HubOffline", "offline_mode"):
        QT_TRANSLATE_NOOP("ErrorMessage", "Offline mode is on, so Hearth makes no network request: `hearth models "
                                          "{action}` cannot reach the Hugging Face Hub."),
    ("RepoNotFound", ""):
        QT_TRANSLATE_NOOP("ErrorMessage", "The repository {repo} was not found on the model hub."),
    ("RepoNotFound", "gated"):
        QT_TRANSLATE_NOOP("ErrorMessage", "{repo} is a gated repository: {file} needs a login and accepted "
                                          "conditions."),
    ("RemoteFileNotFound", ""):
        QT_TRANSLATE_NOOP("ErrorMessage", "{file} is not in the repository {repo}."),
    ("NotEnoughDisk", ""):
        QT_TRANSLATE_NOOP("ErrorMessage", "Not enough disk space for {files}: {needed} still to download "
                                          "(plus {spare} to spare) but only {free} is free in {folder}."),
    ("EmbeddingModelMissing", "none_installed"):
        QT_TRANSLATE_NOOP("ErrorMessage", "No embedding model is installed; the knowledge base needs one to "
                                          "index documents."),
    ("DiskFull", ""):
        QT_TRANSLATE_NOOP("ErrorMessage", "The disk is full: {where} could not be written."),
    ("DatabaseReadOnly", ""):
        QT_TRANSLATE_NOOP("ErrorMessage", "The database {path} is read-only."),
    ("DatabaseReadOnly", "folder"):
        QT_TRANSLATE_NOOP("ErrorMessage", "The database {path} cannot be opened: its folder is read-only."),
    ("ModelNotFound", "no_file_or_name"):
        QT_TRANSLATE_NOOP("ErrorMessage", "There is no file {given} and no installed model of that name."),
    # issue 18: the database's recovery, the model runtime, downloads, documents and attachments
    ("DatabaseCorrupt", "damaged"):
        QT_TRANSLATE_NOOP("ErrorMessage", "The database {path} is damaged: {problem}"),
    ("DatabaseCorrupt", "backup"):
        QT_TRANSLATE_NOOP("ErrorMessage", "The backup {path} is damaged too: {problem}"),
    ("StoreError", "copy"):
        QT_TRANSLATE_NOOP("ErrorMessage", "Could not copy {source} to {path}: {detail}"),
    ("ModelLoadFailed", "load"):
        QT_TRANSLATE_NOOP("ErrorMessage", "llama.cpp could not load {path}."),
    ("ModelLoadFailed", "load_said"):
        QT_TRANSLATE_NOOP("ErrorMessage", "llama.cpp could not load {path}. llama.cpp says: {said}"),
    ("ModelLoadFailed", "context"):
        QT_TRANSLATE_NOOP("ErrorMessage", "llama.cpp could not create a context of {n_ctx} tokens for "
                                          "{path}; there may not be enough memory."),
    ("ModelLoadFailed", "context_said"):
        QT_TRANSLATE_NOOP("ErrorMessage", "llama.cpp could not create a context of {n_ctx} tokens for "
                                          "{path}; there may not be enough memory. llama.cpp says: "
                                          "{said}"),
    ("ModelLoadFailed", "decode"):
        QT_TRANSLATE_NOOP("ErrorMessage", "llama.cpp failed to evaluate {count} tokens (code {rc})."),
    ("ContextFull", "decode"):
        QT_TRANSLATE_NOOP("ErrorMessage", "llama.cpp failed to evaluate {count} tokens (code {rc})."),
    ("ModelLoadFailed", "reranker"):
        QT_TRANSLATE_NOOP("ErrorMessage", "{path} is a reranker, not an embedding model."),
    ("ModelLoadFailed", "embed_context"):
        QT_TRANSLATE_NOOP("ErrorMessage", "llama.cpp could not create an embedding context for {path}; "
                                          "there may not be enough memory."),
    ("ModelLoadFailed", "mrope"):
        QT_TRANSLATE_NOOP("ErrorMessage", "{path} places image tokens with M-RoPE (Qwen2-VL and later), "
                                          "which Hearth does not support yet."),
    ("ModelLoadFailed", "projector_mismatch"):
        QT_TRANSLATE_NOOP("ErrorMessage", "The image projector {path} does not fit the model {model}: "
                                          "{said}. Use the mmproj file published with this model."),
    ("ModelLoadFailed", "projector"):
        QT_TRANSLATE_NOOP("ErrorMessage", "llama.cpp could not load the image projector {path} for "
                                          "{model}: {said}"),
    ("ModelLoadFailed", "projector_dim"):
        QT_TRANSLATE_NOOP("ErrorMessage", "The image projector {path} does not fit the model {model}: "
                                          "it makes embeddings of {dim} values, the model expects "
                                          "{n_embd}."),
    ("ChecksumMismatch", "sha256"):
        QT_TRANSLATE_NOOP("ErrorMessage", "{file} is corrupt: its sha256 is {digest} but the model hub "
                                          "says {want}. The file was deleted."),
    ("ChecksumMismatch", "sha256_catalog"):
        QT_TRANSLATE_NOOP("ErrorMessage", "{file} is corrupt: its sha256 is {digest} but Hearth's "
                                          "catalog says {want}. The file was deleted."),
    ("ChecksumMismatch", "git_blob"):
        QT_TRANSLATE_NOOP("ErrorMessage", "{file} is corrupt: its git blob id is {digest} but the model "
                                          "hub says {want}. The file was deleted."),
    ("ChecksumMismatch", "unverifiable"):
        QT_TRANSLATE_NOOP("ErrorMessage", "{file} cannot be verified: the model hub gave neither a "
                                          "sha256 nor a git blob id for it (etag {etag}). The file was "
                                          "deleted."),
    ("DownloadIncomplete", "retries"):
        QT_TRANSLATE_NOOP("ErrorMessage", "The download of {file} stopped at {done} of {total} after "
                                          "{failures} failed attempts ({last}). It can be resumed."),
    ("DownloadCancelled", ""):
        QT_TRANSLATE_NOOP("ErrorMessage", "The download of {file} was cancelled at {done} of {total}."),
    ("NotEnoughDisk", "filled"):
        QT_TRANSLATE_NOOP("ErrorMessage", "The disk filled up while downloading {file} ({size}); the "
                                          "partial file was deleted."),
    ("DownloadError", "write"):
        QT_TRANSLATE_NOOP("ErrorMessage", "Could not write {name}: {why}."),
    ("DocumentUnreadable", "missing"):
        QT_TRANSLATE_NOOP("ErrorMessage", "{name} does not exist (any more), or is a broken link."),
    ("DocumentUnreadable", "os_error"):
        QT_TRANSLATE_NOOP("ErrorMessage", "{name} could not be read ({why})."),
    ("DocumentUnreadable", "reader_stopped"):
        QT_TRANSLATE_NOOP("ErrorMessage", "{name} could not be read: the reader stopped ({exit})."),
    ("DocumentNotAFile", "special"):
        QT_TRANSLATE_NOOP("ErrorMessage", "{name} is not read: it is {kind}."),
    ("DocumentOutsideFolder", "outside"):
        QT_TRANSLATE_NOOP("ErrorMessage", "{name} is not read: it leads outside the folder you chose "
                                          "(to {target})."),
    ("DocumentUnsupported", "type"):
        QT_TRANSLATE_NOOP("ErrorMessage", "{name} is not read: unsupported type {suffix}."),
    ("DocumentUnsupported", "binary"):
        QT_TRANSLATE_NOOP("ErrorMessage", "{name} is not read: binary file."),
    ("DocumentUnsupported", "skipped"):
        QT_TRANSLATE_NOOP("ErrorMessage", "{name} is not read: {why}."),
    ("DocumentUnreadable", "nested"):
        QT_TRANSLATE_NOOP("ErrorMessage", "{name} is nested too deeply to read."),
    ("DocumentTooLarge", "memory"):
        QT_TRANSLATE_NOOP("ErrorMessage", "{name} needed more memory than allowed to read."),
    ("DocumentTimeout", "timeout"):
        QT_TRANSLATE_NOOP("ErrorMessage", "{name} took longer than {seconds} s to read."),
    ("DocumentNotText", "not_text"):
        QT_TRANSLATE_NOOP("ErrorMessage", "{name} is not a text file: not text ({why})."),
    ("DocumentUnreadable", "csv"):
        QT_TRANSLATE_NOOP("ErrorMessage", "{name} is not valid CSV (line {line}: {detail})."),
    ("DocumentUnreadable", "not_zip"):
        QT_TRANSLATE_NOOP("ErrorMessage", "{name} is damaged or not a Word document (not a valid zip "
                                          "archive)."),
    ("DocumentUnreadable", "no_document_xml"):
        QT_TRANSLATE_NOOP("ErrorMessage", "{name} is not a Word document (word/document.xml is "
                                          "missing)."),
    ("DocumentTooLarge", "inflates"):
        QT_TRANSLATE_NOOP("ErrorMessage", "{name} is too large: its text part inflates to {size_mb} MB "
                                          "(the limit is {limit_mb} MB)."),
    ("DocumentUnreadable", "bad_xml"):
        QT_TRANSLATE_NOOP("ErrorMessage", "{name} is damaged: its text is not valid XML ({detail})."),
    ("DocumentUnreadable", "damaged"):
        QT_TRANSLATE_NOOP("ErrorMessage", "{name} is damaged ({detail})."),
    ("DocumentUnreadable", "no_pypdf"):
        QT_TRANSLATE_NOOP("ErrorMessage", "{name} cannot be read: the pypdf package is not installed."),
    ("DocumentUnreadable", "password"):
        QT_TRANSLATE_NOOP("ErrorMessage", "{name} is password-protected."),
    ("DocumentUnreadable", "encryption"):
        QT_TRANSLATE_NOOP("ErrorMessage", "{name} is encrypted in a way Hearth cannot read ({detail})."),
    ("DocumentUnreadable", "pdf_nested"):
        QT_TRANSLATE_NOOP("ErrorMessage", "{name} is damaged: its objects are nested too deeply."),
    ("DocumentUnreadable", "not_pdf"):
        QT_TRANSLATE_NOOP("ErrorMessage", "{name} is damaged or not a PDF ({detail})."),
    ("DocumentUnreadable", "no_pages"):
        QT_TRANSLATE_NOOP("ErrorMessage", "{name} is damaged: none of its {pages} pages could be read."),
    ("AttachmentError", "os_error"):
        QT_TRANSLATE_NOOP("ErrorMessage", "{name} could not be read ({why})."),
    ("AttachmentError", "unsupported_type"):
        QT_TRANSLATE_NOOP("ErrorMessage", "{name} cannot be attached: unsupported type {suffix}."),
    ("AttachmentError", "unsupported"):
        QT_TRANSLATE_NOOP("ErrorMessage", "{name} cannot be attached: {why}."),
    ("AttachmentError", "no_text"):
        QT_TRANSLATE_NOOP("ErrorMessage", "{name} has no text to send."),
    ("AttachmentError", "no_text_pdf"):
        QT_TRANSLATE_NOOP("ErrorMessage", "{name} has no text to send (a scanned PDF has only pictures "
                                          "of text)."),
    ("AttachmentError", "store"):
        QT_TRANSLATE_NOOP("ErrorMessage", "{name} could not be stored in Hearth's data folder ({why})."),
    ("AttachmentFileTooLarge", "text"):
        QT_TRANSLATE_NOOP("ErrorMessage", "{name} is too large to attach: its text is {size} "
                                          "characters; the limit is {limit}. Nothing was stored."),
}
SKIPPED: dict[str, str] = {   # why the knowledge base skipped a file, as its folder scan records it (no code)
    "type": QT_TRANSLATE_NOOP("SkipReason", "unsupported type {suffix}"),
    "binary": QT_TRANSLATE_NOOP("SkipReason", "binary file"),
    "special": QT_TRANSLATE_NOOP("SkipReason", "is {kind}"),
    "size": QT_TRANSLATE_NOOP("SkipReason", "larger than {mb} MB"),
    "outside": QT_TRANSLATE_NOOP("SkipReason", "link leads outside the folder you chose (to {target})"),
    "broken_link": QT_TRANSLATE_NOOP("SkipReason", "broken link (its target does not exist)"),
    "link_special": QT_TRANSLATE_NOOP("SkipReason", "link to {kind}"),
}
HINT_TEMPLATES: dict[tuple[str, str], str] = {
    ("DiskFull", ""):
        QT_TRANSLATE_NOOP("ErrorHint", "Free some disk space on the disk holding {folder}, then try again. "
                                       "Everything saved before is kept."),
    ("DatabaseReadOnly", ""):
        QT_TRANSLATE_NOOP("ErrorHint", "Check the permissions of {path} and of its folder {folder}: Hearth "
                                       "needs to write to both (and the -wal and -shm files beside it)."),
    ("DatabaseReadOnly", "folder"):
        QT_TRANSLATE_NOOP("ErrorHint", "Check the permissions of {folder}: Hearth needs to write there (the "
                                       "-wal and -shm files beside the database)."),
}
MESSAGE_TEXTS: tuple[str, ...] = (
    QT_TRANSLATE_NOOP("ErrorMessage", "No model is loaded."),
    QT_TRANSLATE_NOOP("ErrorMessage", "No model is installed."),
    QT_TRANSLATE_NOOP("ErrorMessage", "No embedding model is loaded."),
)
