"""A model file Hearth cannot use is refused in the window's language, naming the file (issue 18): a folder,
a pipe, link loops and dangling links, a split model with a part missing, a LoRA adapter, a vocabulary-only
file and an architecture llama.cpp does not know. Real files on disk, the real header reader."""
from __future__ import annotations

import os
from pathlib import Path

import gguf
import numpy as np

from desktop import errors_ui
from engine import errors
from engine.models.files import describe_model
from tests.desktop.test_error_codes import chinese, chinese_text, raised  # noqa: F401
from tests.random_llama import write_vocab_only


def tiny_gguf(path: Path, arch: str, **meta: str) -> Path:
    """A GGUF with one small tensor, of architecture ``arch`` (and ``meta`` as string keys)."""
    writer = gguf.GGUFWriter(str(path), arch)
    for key, value in meta.items():
        writer.add_string(key, value)
    writer.add_tensor("token_embd.weight", np.zeros((4, 8), dtype=np.float32))
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()
    return path


def test_model_files_that_cannot_be_used_are_refused_in_chinese(qapp, tmp_path: Path, smollm2_path: Path,  # noqa: ANN001
                                                                chinese) -> None:  # noqa: F811
    folder = tmp_path / "a-folder.gguf"
    folder.mkdir()
    pipe = tmp_path / "pipe.gguf"
    os.mkfifo(pipe)
    (tmp_path / "loop-a.gguf").symlink_to(tmp_path / "loop-b.gguf")
    (tmp_path / "loop-b.gguf").symlink_to(tmp_path / "loop-a.gguf")
    (tmp_path / "gone.gguf").symlink_to(tmp_path / "nowhere.gguf")
    (tmp_path / "big-00001-of-00002.gguf").symlink_to(smollm2_path)
    cases = {
        folder: "a-folder.gguf 是文件夹，不是模型文件。",
        pipe: "pipe.gguf 是命名管道（FIFO），不是模型文件；Hearth 只读取普通文件。",
        tmp_path / "loop-a.gguf": "loop-a.gguf 是一个指向自身的循环符号链接，不是模型文件。",
        tmp_path / "gone.gguf": "gone.gguf 是一个链接，指向的文件不存在。",
        tmp_path / "big-00001-of-00002.gguf":
            "分卷模型 big-00001-of-00002.gguf 共 2 个分卷，缺少第 2 个（big-00002-of-00002.gguf）。",
        write_vocab_only(tmp_path / "vocab.gguf", smollm2_path): "vocab.gguf 不含任何权重（只有词表的文件）。",
        tiny_gguf(tmp_path / "adapter.gguf", "llama", **{"general.type": "adapter"}):
            "adapter.gguf 是 LoRA 适配器，不是模型。",
        tiny_gguf(tmp_path / "strange.gguf", "nonsense"):
            "strange.gguf 使用的架构 nonsense 不被此版 Hearth 内置的 llama.cpp 支持。",
    }
    for path, expected in cases.items():
        exc = raised(lambda: describe_model(path))
        assert isinstance(exc, (errors.ModelInvalid, errors.ModelNotFound)), (path, exc)
        assert chinese_text(exc).startswith(expected), (path.name, exc.reason, errors_ui.details(exc))
