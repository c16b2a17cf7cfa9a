"""Retries with exponential backoff, jitter, ``Retry-After`` and an overall deadline.

Providers turn a failure into a ``Failure`` (retry or not, how long the server
asked us to wait, a message for a person); this module decides when to try
again and when to give up, and counts the retries for the trace.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

from core.errors import ModelError
from core.settings import ModelSettings

R = TypeVar("R")


@dataclass(frozen=True)
class Failure:
    """How a provider judged one failed attempt."""

    retryable: bool
    message: str
    retry_after_s: float | None = None
    status: int | None = None


class CallFailed(ModelError):
    """A call failed for good; ``retries`` says how many times it was retried."""

    def __init__(self, message: str, retries: int, status: int | None = None) -> None:
        super().__init__(message)
        self.retries = retries
        self.status = status


def backoff_delay(attempt: int, settings: ModelSettings, retry_after_s: float | None, rng: random.Random) -> float:
    """Seconds to wait before retry number ``attempt`` (0-based): full jitter, or what the server asked."""
    if retry_after_s is not None:
        return min(max(retry_after_s, 0.0), settings.retry_after_cap_s)
    ceiling = min(settings.backoff_cap_s, settings.backoff_base_s * 2**attempt)
    return rng.uniform(ceiling / 2, ceiling)


def call_with_retries(
    attempt_fn: Callable[[float], R],
    classify: Callable[[BaseException], Failure],
    settings: ModelSettings,
    *,
    sleep: Callable[[float], None] = time.sleep,
    rng: random.Random | None = None,
    on_retry: Callable[[str], None] | None = None,
) -> tuple[R, int]:
    """Run ``attempt_fn(timeout_s)`` until it succeeds; return its result and the retry count.

    Each attempt gets the per-call timeout, shortened to what is left of the
    deadline. A failure that is not retryable, or a wait that would pass the
    deadline, raises ``CallFailed`` with the provider's message. ``on_retry``
    hears each retry before its wait (what failed, which retry, how long), so
    a person is never left watching silence.
    """
    rng = rng or random.Random()
    deadline = time.monotonic() + settings.deadline_s
    retries = 0
    while True:
        remaining = deadline - time.monotonic()
        try:
            return attempt_fn(max(0.05, min(settings.timeout_s, remaining))), retries
        except Exception as exc:  # the provider's classify() decides what is transient
            failure = classify(exc)
            if not failure.retryable:
                raise CallFailed(failure.message, retries, failure.status) from None
            if retries >= settings.max_retries:
                raise CallFailed(
                    f"{failure.message} (gave up after {retries} retries)", retries, failure.status
                ) from None
            delay = backoff_delay(retries, settings, failure.retry_after_s, rng)
            if time.monotonic() + delay >= deadline:
                raise CallFailed(
                    f"{failure.message} (deadline of {settings.deadline_s:g}s reached)", retries, failure.status
                ) from None
            if on_retry is not None:
                on_retry(f"{failure.message}; retry {retries + 1} of {settings.max_retries} in {delay:.1f}s")
            sleep(delay)
            retries += 1
