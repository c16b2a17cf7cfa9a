"""Allow ``python -m agent`` as a synonym for the ``patchgate`` script."""

from patchgate.agent.cli import main

main()
