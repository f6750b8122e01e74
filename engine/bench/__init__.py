"""Benchmarks that write JSON: ``hearth bench engine|kb`` (and ``desktop.bench`` for the window).

Each measures Hearth against the bare library in the same run (llama.cpp's own
``Llama``, a plain HTTP copy), so the ratio is what counts. Never imported by the product.
"""
