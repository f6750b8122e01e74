"""Where the model hub is: ``HF_ENDPOINT`` if set, else huggingface.co. Read at each call.

huggingface_hub freezes its own constants at import time; Hearth passes the
endpoint explicitly to every client call instead, so a test (or a mirror
set by the user) takes effect without re-importing anything.
"""
from __future__ import annotations

import os

DEFAULT_ENDPOINT = "https://huggingface.co"
ENV_ENDPOINT = "HF_ENDPOINT"


def hub_endpoint() -> str:
    return (os.environ.get(ENV_ENDPOINT) or DEFAULT_ENDPOINT).rstrip("/")
