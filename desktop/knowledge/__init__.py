"""The knowledge window (File → Knowledge…): collections, indexing progress, problems, a retrieval test."""
