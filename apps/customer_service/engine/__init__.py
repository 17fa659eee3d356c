"""The language understanding of the assistant, free of the database: features and classifiers
over embeddings, the fallback decision, slot extractors and the evaluation metrics."""
