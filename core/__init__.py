"""patchgate: a repository-aware coding agent that gates every patch before it lands."""

__version__ = "0.1.0"
