"""Hearth's engine: models, runtime, storage. Never imports Qt."""
