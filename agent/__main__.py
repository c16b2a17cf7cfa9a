"""Allow ``python -m agent`` as a synonym for the ``patchgate`` script."""

from agent.cli import main

main()
