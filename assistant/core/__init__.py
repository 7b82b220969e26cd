"""The service behind every face: settings, evidence schema, embeddings, store, retrieval, answering."""
