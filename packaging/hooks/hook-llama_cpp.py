# llama-cpp-python loads libllama/libggml*/libmtmd with ctypes from llama_cpp/lib, which
# PyInstaller cannot see (llama-cpp-python issue 1475): collect them as binaries.
from PyInstaller.utils.hooks import collect_dynamic_libs

binaries = collect_dynamic_libs("llama_cpp")
datas = []
