"""The Hugging Face Hub: catalog, search, fit before download, resumable verified downloads.

huggingface_hub is imported only by the modules below this package, after
this file has run: it turns off the client's telemetry call (made on first
use otherwise), for privacy and so that an offline start does not wait on it.
"""
import os

os.environ.setdefault("HF_HUB_DISABLE_TELEMETRY", "1")
