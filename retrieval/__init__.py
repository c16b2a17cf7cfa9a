"""The retrieval layer: index a repository and rank context for an issue. It imports only the core layer."""
