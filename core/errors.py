"""One exception tree for everything patchgate reports to a person.

    PatchgateError            exit 2: bad input or configuration (the default)
    ├── InputError            a path, revision, file or dataset the user gave is unusable
    ├── ConfigError           configuration is missing or invalid (says how to fix it)
    ├── IndexStateError       the on-disk index is missing, corrupt or from another version
    ├── ModelError            a model call failed for good (after retries)
    │   └── OutputValidationError  the model's answer never validated
    └── GateFailure           exit 1: a gate rejected a candidate / nothing was found

The CLI prints ``error: <message>`` on one line and exits with ``exit_code``;
a traceback is shown only with ``--debug`` (or ``PATCHGATE_DEBUG=1``).
"""

from __future__ import annotations


class PatchgateError(Exception):
    """Root of every error meant for a person rather than a bug report."""

    exit_code: int = 2


class InputError(PatchgateError):
    """Something the user handed us (path, revision, file, dataset) cannot be used."""


class ConfigError(PatchgateError):
    """Configuration is missing or invalid; the message says how to fix it."""


class IndexStateError(PatchgateError):
    """The on-disk index cannot be used as it is."""


class ModelError(PatchgateError):
    """A model call failed for good, after the retries the policy allows."""


class OutputValidationError(ModelError):
    """The model's answer did not validate, even after the repair round."""


class GateFailure(PatchgateError):
    """A candidate was rejected by a gate, or there was nothing to offer."""

    exit_code = 1
