"""The knowledge base: collections of the user's documents, indexed for questions.

How the pieces fit:

- ``extract`` turns one file into structural ``Section`` s (headings,
  paragraphs, code blocks, table rows) with page and line numbers;
  ``chunking`` packs sections into token-sized ``ChunkDraft`` s with overlap;
  ``parsing`` runs both in worker processes with a time and memory limit
  per file, so a hostile file fails alone.
- ``library`` keeps collections, their sources, files, chunks, embeddings
  and the job queue in the one SQLite database (migration m003).
- ``indexer`` walks the sources (stat first, content hash second), queues
  work in SQLite, and runs it: parse → chunk → embed (the engine's worker
  process, ``engine.runtime``) → store, resumable after a kill.
- ``vectors`` keeps a collection's embeddings as a numpy matrix in memory;
  ``keyword`` queries the FTS5 trigram index (English and Chinese alike);
  ``retrieval`` fuses both by reciprocal-rank fusion into scored ``Hit`` s.
- ``prompting`` puts hits into a prompt between random delimiters, as data.
"""
