"""Hearth's desktop client: the Qt window and the ``hearth`` terminal command.

- ``app`` starts the window; ``main/`` is the chat window (layout and wiring in
  ``window.py``; replies and attachments in controllers it owns);
  ``knowledge/`` the knowledge window; ``models/`` the model manager.
- ``background/`` holds the threads, each named for what it owns: the
  database, the engine (model), the knowledge base, folder watching.
- ``cli/`` the terminal commands (no Qt unless they open a window).
- ``bench/`` ``hearth bench gui``.

desktop/ uses only the engine's front doors and never runs SQL itself.
"""
