"""The ``hearth`` command (``main``): the window with no arguments, the engine in a terminal otherwise.

``kb`` and ``models`` hold their subcommands; ``screenshot`` and ``self_test`` open a window.
"""
