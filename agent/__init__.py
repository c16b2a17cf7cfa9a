"""The top layer: CLI, pipeline, prompts, model providers, decoding and evaluation runs."""
