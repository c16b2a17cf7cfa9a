"""The command edge: the click CLI and its commands.

This is the only layer that reads configuration files and the environment; it resolves them once
into typed settings and passes those down to the agent, evaluation, retrieval and the gates.
"""
