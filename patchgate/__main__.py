"""``python -P -m patchgate``: the same CLI as the ``patchgate`` script (``-P`` keeps the working directory off
``sys.path``, so a project's own ``tools/`` or ``core/`` can never shadow patchgate's packages)."""

from patchgate.start import main

main()
