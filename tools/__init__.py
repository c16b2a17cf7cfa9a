"""The gates layer: review a candidate patch in an isolated worktree. It imports only the core layer."""
