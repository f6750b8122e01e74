"""The constant hints and words of engine errors, for the window (see :mod:`desktop.error_texts`).

* ``HINT_TEXTS``: every error class's own hint, and hints written for one occurrence without
  parameters, looked up by their English text;
* ``WORDS``: parameter values the engine gives in English ("a JPEG image", "a folder").
"""
from __future__ import annotations

from PySide6.QtCore import QT_TRANSLATE_NOOP

HINT_TEXTS: tuple[str, ...] = (
    # ApiKeyRequired
    QT_TRANSLATE_NOOP("ErrorHint", "Serve on 127.0.0.1 (the default), or give the server a key: `hearth serve "
                                   "--host ... ` makes one on first use and prints where it is kept."),
    # ApiBindFailed
    QT_TRANSLATE_NOOP("ErrorHint", "Choose another port with --port, or stop the program that uses this one."),
    # CatalogError
    QT_TRANSLATE_NOOP("ErrorHint", "Hearth's model catalog is damaged. Reinstall Hearth."),
    # ModelNotFound
    QT_TRANSLATE_NOOP("ErrorHint", "Check the path, or pick another model from the model list."),
    # ModelInvalid
    QT_TRANSLATE_NOOP("ErrorHint", "The file is incomplete or corrupt: download it again, or choose another "
                                   "model file."),
    # ModelBroken
    QT_TRANSLATE_NOOP("ErrorHint", "Download the model again (or another conversion of it), or pick another "
                                   "model. Reloading this file will crash llama.cpp again."),
    # ModelLoadFailed
    QT_TRANSLATE_NOOP("ErrorHint", "llama.cpp could not load this model. It may need more memory than is "
                                   "free, or a newer Hearth. Try a smaller model or a smaller context size."),
    # ModelCrashed
    QT_TRANSLATE_NOOP("ErrorHint", "Your conversation is saved. Reload the model to continue; if it happens "
                                   "again, try another model."),
    # NoModelLoaded
    QT_TRANSLATE_NOOP("ErrorHint", "Choose a model first."),
    # TemplateError
    QT_TRANSLATE_NOOP("ErrorHint", "Choose a built-in chat template for this model in its settings."),
    # UnsafeTemplate
    QT_TRANSLATE_NOOP("ErrorHint", "This model file carries a chat template that tries to run code. Hearth "
                                   "refused it. Use it with a built-in template, or choose another model "
                                   "file."),
    # TemplateTimeout
    QT_TRANSLATE_NOOP("ErrorHint", "The model's chat template took too long to render. Use a built-in "
                                   "template for this model."),
    # TemplateTooLarge
    QT_TRANSLATE_NOOP("ErrorHint", "The model's chat template tried to build far more text than a prompt "
                                   "needs and was stopped. Use a built-in chat template for this model, or "
                                   "use another model file."),
    # MessageTooLong
    QT_TRANSLATE_NOOP("ErrorHint", "Shorten the message, raise the context size, or add the text to a "
                                   "knowledge base instead."),
    # ContextFull
    QT_TRANSLATE_NOOP("ErrorHint", "Start a new conversation, raise the context size, or allow dropping the "
                                   "oldest turns."),
    # ConversationInvalid
    QT_TRANSLATE_NOOP("ErrorHint", "Give a JSON list of messages such as [{\"role\": \"user\", \"content\": "
                                   "\"Hello\"}]: roles \"system\" (first only), \"user\" and \"assistant\", text "
                                   "content, the last message from the user."),
    # StoreError
    QT_TRANSLATE_NOOP("ErrorHint", "Hearth's database could not be used. Check that the disk is not full and "
                                   "the data folder is writable."),
    # ConversationNotFound
    QT_TRANSLATE_NOOP("ErrorHint", "It may have been deleted. Pick another conversation."),
    # MessageNotFound
    QT_TRANSLATE_NOOP("ErrorHint", "It may have been deleted."),
    # DatabaseCorrupt
    QT_TRANSLATE_NOOP("ErrorHint", "Hearth's database is damaged. Open the Hearth window: it offers to "
                                   "restore the newest backup (kept in the 'backups' folder beside the "
                                   "database) or to keep the damaged file aside and start fresh. Nothing is "
                                   "deleted."),
    # DatabaseReadOnly
    QT_TRANSLATE_NOOP("ErrorHint", "Check the permissions of the database file and its folder: Hearth needs "
                                   "to write to both."),
    # DiskFull
    QT_TRANSLATE_NOOP("ErrorHint", "Free some disk space, then try again. Everything saved before is kept."),
    # DatabaseUnavailable
    QT_TRANSLATE_NOOP("ErrorHint", "Check that the disk is connected and healthy, and the permissions of the "
                                   "database file and its folder."),
    # HubError
    QT_TRANSLATE_NOOP("ErrorHint", "Check the internet connection and try again; installed models keep "
                                   "working offline."),
    # HubOffline
    QT_TRANSLATE_NOOP("ErrorHint", "Hearth is offline. Installed models keep working; search and downloads "
                                   "need the internet."),
    QT_TRANSLATE_NOOP("ErrorHint", "Turn offline mode off in the window (File → Settings…), then try again. "
                                   "Installed models keep working."),
    # RepoNotFound
    QT_TRANSLATE_NOOP("ErrorHint", "Check the repository name (owner/name). Private or gated repositories "
                                   "need a login on huggingface.co."),
    # RemoteFileNotFound
    QT_TRANSLATE_NOOP("ErrorHint", "The file is not in this repository (any more). List the repository's "
                                   "files and pick another."),
    # DownloadIncomplete
    QT_TRANSLATE_NOOP("ErrorHint", "The partial file is kept: start the download again and it resumes where "
                                   "it stopped."),
    # ChecksumMismatch
    QT_TRANSLATE_NOOP("ErrorHint", "The downloaded file was corrupt and has been deleted. Download it again."),
    # NotEnoughDisk
    QT_TRANSLATE_NOOP("ErrorHint", "Free some disk space (or delete models you no longer use), then try "
                                   "again."),
    # UnsafeFileName
    QT_TRANSLATE_NOOP("ErrorHint", "The repository names a file outside the models folder; Hearth refuses to "
                                   "write it. Pick another file."),
    # DownloadCancelled
    QT_TRANSLATE_NOOP("ErrorHint", "The partial file is kept: start the download again to resume it, or "
                                   "discard it to free the space."),
    # HubReplyRefused
    QT_TRANSLATE_NOOP("ErrorHint", "The model hub (or a proxy or mirror in between, see HF_ENDPOINT) sent an "
                                   "answer Hearth will not use. Try again later; installed models keep "
                                   "working."),
    # HubReplyTooSlow
    QT_TRANSLATE_NOOP("ErrorHint", "The model hub answered too slowly. Check the connection (or the mirror in "
                                   "HF_ENDPOINT) and try again; installed models keep working."),
    # CollectionNotFound
    QT_TRANSLATE_NOOP("ErrorHint", "Check the name with `hearth kb list`, or create it with `hearth kb create "
                                   "NAME`."),
    # CollectionExists
    QT_TRANSLATE_NOOP("ErrorHint", "Pick another name, or add files to the existing collection."),
    # DocumentError
    QT_TRANSLATE_NOOP("ErrorHint", "The other documents are indexed. Fix or convert this file, then re-index."),
    # DocumentUnsupported
    QT_TRANSLATE_NOOP("ErrorHint", "Supported: .txt, .md, .html, .pdf, .docx, .csv and source code. Convert "
                                   "the file to one of these."),
    # DocumentOutsideFolder
    QT_TRANSLATE_NOOP("ErrorHint", "Hearth reads only what lies inside the folders you chose. Copy the file "
                                   "into the folder to index it."),
    # DocumentNotAFile
    QT_TRANSLATE_NOOP("ErrorHint", "Only regular files are indexed."),
    # DocumentUnreadable
    QT_TRANSLATE_NOOP("ErrorHint", "The file may be damaged or password-protected. Open it in its own "
                                   "program, save a new copy, and re-index."),
    # DocumentNotText
    QT_TRANSLATE_NOOP("ErrorHint", "The file is binary data with a text file's name. Open it in its own "
                                   "program, or leave it out."),
    # DocumentTimeout
    QT_TRANSLATE_NOOP("ErrorHint", "Reading this file took too long and was stopped. Split it, or save it in "
                                   "a simpler format (for example plain text)."),
    # DocumentTooLarge
    QT_TRANSLATE_NOOP("ErrorHint", "Reading this file needed more memory than allowed and was stopped. Split "
                                   "it into smaller files."),
    # EmbeddingModelMissing
    QT_TRANSLATE_NOOP("ErrorHint", "Install an embedding model from File → Models… (for example "
                                   "nomic-embed-text or bge-m3), or run scripts/install.sh."),
    # AttachmentError
    QT_TRANSLATE_NOOP("ErrorHint", "Attach images (PNG, JPEG, WebP, GIF, BMP) or documents (.txt, .md, .html, "
                                   ".pdf, .docx, .csv, source code)."),
    # ImageRejected
    QT_TRANSLATE_NOOP("ErrorHint", "Save the image as PNG or JPEG, at most 40 megapixels, and attach it "
                                   "again."),
    # AttachmentTooLarge
    QT_TRANSLATE_NOOP("ErrorHint", "Add the document to a knowledge base instead: Hearth then sends only the "
                                   "passages that answer each question. Or load the model with a larger "
                                   "context."),
    # AttachmentNotAFile
    QT_TRANSLATE_NOOP("ErrorHint", "Attach a regular file (an image or a document). Folders, devices and "
                                   "pipes cannot be attached."),
    # AttachmentFileTooLarge
    QT_TRANSLATE_NOOP("ErrorHint", "Add it to a knowledge base instead: Hearth then sends only the passages "
                                   "that answer each question. Or split it into smaller files."),
    # gguf: not a GGUF
    QT_TRANSLATE_NOOP("ErrorHint", "Choose a .gguf model file. Your file was not changed."),
    # gguf: GGML
    QT_TRANSLATE_NOOP("ErrorHint", "Download the GGUF version of this model: llama.cpp reads no other kind."),
    # gguf: a link
    QT_TRANSLATE_NOOP("ErrorHint", "Remove the link, or point it at a model file."),
    # gguf: unreadable
    QT_TRANSLATE_NOOP("ErrorHint", "Check that the file exists and that you are allowed to read it."),
    # gguf: not a regular file
    QT_TRANSLATE_NOOP("ErrorHint", "Remove it from the models folder, or pick a real .gguf file."),
    # models/files: split parts, adapters, vocabulary-only files
    QT_TRANSLATE_NOOP("ErrorHint", "Download every part of the model into the same folder."),
    QT_TRANSLATE_NOOP("ErrorHint", "Adapters are applied to a model; they cannot be chosen on their own."),
    QT_TRANSLATE_NOOP("ErrorHint", "Keep the original file names of the parts."),
    QT_TRANSLATE_NOOP("ErrorHint", "This file is not a model; pick another one."),
    # gguf_info: what llama.cpp would refuse
    QT_TRANSLATE_NOOP("ErrorHint", "The file is damaged or was converted wrongly: download another conversion "
                                   "of this model."),
    QT_TRANSLATE_NOOP("ErrorHint", "Update Hearth, or pick a model of a supported architecture."),
    # gguf: big-endian
    QT_TRANSLATE_NOOP("ErrorHint", "Download the ordinary (little-endian) GGUF of this model."),
    # gguf: version 1
    QT_TRANSLATE_NOOP("ErrorHint", "Download a newer conversion of this model."),
    # gguf: too new
    QT_TRANSLATE_NOOP("ErrorHint", "Update Hearth, or download an older conversion of this model."),
    # llama.cpp refused the file
    QT_TRANSLATE_NOOP("ErrorHint", "llama.cpp refused the file for the reason above: it is damaged, converted "
                                   "wrongly or made for a newer llama.cpp. Download another conversion of "
                                   "this model, or update Hearth."),
    # gated repository
    QT_TRANSLATE_NOOP("ErrorHint", "Open the repository on huggingface.co, accept its conditions and log in, "
                                   "or pick another repository."),
    # mmproj
    QT_TRANSLATE_NOOP("ErrorHint", "Choose the mmproj file published with the model, or none."),
    # mmproj
    QT_TRANSLATE_NOOP("ErrorHint", "Use the mmproj file published with this model."),
    # ModelNotFound: `hearth chat --model NAME`
    QT_TRANSLATE_NOOP("ErrorHint", "Give a .gguf path, or a name from `hearth models list`."),
    # DatabaseCorrupt: a damaged backup
    QT_TRANSLATE_NOOP("ErrorHint", "Pick an older backup, or keep the database aside and start fresh."),
    # ChecksumMismatch: a file with no checksum
    QT_TRANSLATE_NOOP("ErrorHint", "Hearth installs only verified files. Try again later, or download it from the "
                                   "Hub itself rather than a mirror."),
    # DownloadError: the models folder
    QT_TRANSLATE_NOOP("ErrorHint", "Check that the models folder is writable."),
    # AttachmentError
    QT_TRANSLATE_NOOP("ErrorHint", "Check the file and attach it again."),
    QT_TRANSLATE_NOOP("ErrorHint", "Attach a file that contains text, or paste the text into the message."),
    QT_TRANSLATE_NOOP("ErrorHint", "Check that the disk is not full."),
    # no model installed
    QT_TRANSLATE_NOOP("ErrorHint", "Add a model file (File → Add a model file…), then send again."),
    # remote backends (engine.remote)
    QT_TRANSLATE_NOOP("ErrorHint", "Check the backend with `hearth backends test NAME` and that its server is "
                                   "running."),
    QT_TRANSLATE_NOOP("ErrorHint", "Start the server, or check the address and port (and any firewall between)."),
    QT_TRANSLATE_NOOP("ErrorHint", "Check the base URL: OpenAI-compatible servers answer under /v1 (for example "
                                   "http://host:8080/v1), and the model name (`hearth backends test NAME` lists "
                                   "them)."),
    QT_TRANSLATE_NOOP("ErrorHint", "Set the server's API key again: `hearth backends add NAME URL --api-key-env "
                                   "VAR` (it is kept in the keychain)."),
    QT_TRANSLATE_NOOP("ErrorHint", "Wait until the server has loaded its model, then try again."),
    QT_TRANSLATE_NOOP("ErrorHint", "The server is busy: try again in a moment, or add another backend serving the "
                                   "same model."),
    QT_TRANSLATE_NOOP("ErrorHint", "Check the address: use http:// for a server without TLS, or install the "
                                   "server's certificate authority. Hearth does not send anything over an "
                                   "unverified connection."),
    QT_TRANSLATE_NOOP("ErrorHint", "The server failed while answering. Look at its log, then try again."),
    QT_TRANSLATE_NOOP("ErrorHint", "Check that the base URL points to an OpenAI-compatible API and that the right "
                                   "preset is chosen."),
    QT_TRANSLATE_NOOP("ErrorHint", "Shorten the message or start a new conversation, or restart the server with a "
                                   "larger context (llama-server -c, vLLM --max-model-len, Ollama num_ctx)."),
    QT_TRANSLATE_NOOP("ErrorHint", "Check the name with `hearth backends list`, or add it with `hearth backends "
                                   "add NAME URL`."),
    QT_TRANSLATE_NOOP("ErrorHint", "Pick another name, or remove the existing backend first with `hearth backends "
                                   "rm NAME`."),
)
WORDS: tuple[str, ...] = (   # parameter values the engine gives in English (what a file is)
    QT_TRANSLATE_NOOP("ErrorWords", "a JPEG image"),
    QT_TRANSLATE_NOOP("ErrorWords", "a PNG image"),
    QT_TRANSLATE_NOOP("ErrorWords", "a GIF image"),
    QT_TRANSLATE_NOOP("ErrorWords", "a PDF document"),
    QT_TRANSLATE_NOOP("ErrorWords", "a ZIP archive or Office document"),
    QT_TRANSLATE_NOOP("ErrorWords", "a RIFF file: audio, video or a WebP image"),
    QT_TRANSLATE_NOOP("ErrorWords", "a program"),
    QT_TRANSLATE_NOOP("ErrorWords", "a Windows program"),
    QT_TRANSLATE_NOOP("ErrorWords", "a gzip archive"),
    QT_TRANSLATE_NOOP("ErrorWords", "an unknown cause"),
    # what a document is when it is not a file (engine.knowledge.extract.special_kind)
    QT_TRANSLATE_NOOP("ErrorWords", "a folder"),
    QT_TRANSLATE_NOOP("ErrorWords", "a FIFO (named pipe)"),
    QT_TRANSLATE_NOOP("ErrorWords", "a socket"),
    QT_TRANSLATE_NOOP("ErrorWords", "a device"),
    QT_TRANSLATE_NOOP("ErrorWords", "not a regular file"),
    # what a model file is when it is not a file (engine.models.gguf.not_a_file)
    QT_TRANSLATE_NOOP("ErrorWords", "a named pipe (FIFO)"),
    QT_TRANSLATE_NOOP("ErrorWords", "a character device"),
    QT_TRANSLATE_NOOP("ErrorWords", "a block device"),
    # why a text document is not text (engine.knowledge.extract.text)
    QT_TRANSLATE_NOOP("ErrorWords", "it contains binary data"),
    QT_TRANSLATE_NOOP("ErrorWords", "no text encoding fits its bytes"),
    # why a document is skipped (engine.knowledge.extract.skip_reason)
    QT_TRANSLATE_NOOP("ErrorWords", "does not exist"),
    QT_TRANSLATE_NOOP("ErrorWords", "cannot be read"),
)
