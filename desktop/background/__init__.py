"""Threads off the GUI thread, each named for what it owns.

- ``jobs`` — the job-thread base: jobs run in order, results come back as queued signals.
- ``database`` — the window's database thread (its own Store).
- ``engine`` — the model's thread (the Runtime, and a Store for the Chat service).
- ``knowledge`` — the knowledge base's thread (its own Store and embedding worker).
- ``folder_watch`` — watching the collections' folders for changes.
"""
