"""The curators' ingestion job: load, validate, chunk, embed and sync evidence documents into Chroma."""
