"""The model manager (File → Models…): installed models, the catalog and Hub search, downloads."""
