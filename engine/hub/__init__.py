"""The Hugging Face Hub: catalog, search, fit before download, resumable verified downloads."""
