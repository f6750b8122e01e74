"""``hearth bench gui``: how responsive the window is, written as JSON."""
