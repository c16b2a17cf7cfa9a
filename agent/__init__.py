"""The solve loop (plan, edit, gate, apply), with the model providers (``models/``), constrained
decoding (``decoding/``) and single-document writing (``writing/``) it is built from."""
