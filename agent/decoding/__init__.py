"""Local decoding techniques: grammar-constrained (constrained.py), fill-in-the-middle (fim.py,
infill.py), speculative (speculative.py), and grammar-valid documents from any model (documents.py)."""
