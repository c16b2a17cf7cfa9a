"""Writing one document or one completion without the solve loop: ``generate`` and ``complete``."""
