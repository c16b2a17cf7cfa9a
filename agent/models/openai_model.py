"""The ``openai`` provider: OpenAI or any OpenAI-compatible server (vLLM, llama.cpp, Ollama).

The client's own retries are off (``max_retries=0``): ``agent.models.retry``
retries instead, so every retry is counted in the trace and bounded by the
deadline. Errors a person can fix (bad key, unknown model, context too long)
are not retried and say what to fix.
"""

from __future__ import annotations

import email.utils
import os
import time
from typing import Any, TypeVar

import openai
from openai.types.chat import ChatCompletion
from pydantic import BaseModel

from agent.models.base import Completion, Message, Usage
from agent.models.retry import (
    CallFailed,
    Failure,
    ModelSettings,
    call_with_retries,
)
from agent.models.structured import schema_instruction, structured_with_repair
from agent.models.trace import CallRecord, OnCall, emit
from core.errors import ConfigError
from core.secrets import redact

T = TypeVar("T", bound=BaseModel)

PLACEHOLDER_KEY = "sk-no-key-needed"  # local OpenAI-compatible servers accept any key
RETRYABLE_STATUS = {408, 409, 429}
STRUCTURED_MODES = ("json_schema", "tools", "prompted")  # strictest first
UNSUPPORTED_HINTS = (
    "response_format",
    "json_schema",
    "schema",
    "tool",
    "function",
    "not supported",
    "unsupported",
    "not implemented",
)


class OpenAIModel:
    """A chat model behind the official ``openai`` client."""

    def __init__(
        self,
        model_id: str,
        *,
        base_url: str | None = None,
        api_key: str | None = None,
        settings: ModelSettings | None = None,
        on_call: OnCall | None = None,
    ) -> None:
        base_url = base_url or os.environ.get("OPENAI_BASE_URL") or None
        api_key = api_key or os.environ.get("OPENAI_API_KEY") or (PLACEHOLDER_KEY if base_url else None)
        if not api_key:
            raise ConfigError(
                "OPENAI_API_KEY is not set: export it, or point at a local server with "
                "--model openai:NAME@http://host:port/v1 (no key needed)"
            )
        self.model_id = model_id
        self.name = f"openai:{model_id}"
        self.base_url = base_url or "https://api.openai.com/v1"
        self.settings = settings or ModelSettings()
        self.on_call = on_call
        self.structured_mode = 0  # index in STRUCTURED_MODES of the first way this endpoint accepted
        self._unsupported: set[str] = set()  # options this model rejected (e.g. temperature on reasoning models)
        self._renamed: set[str] = set()  # "max_tokens" once the model asked for max_completion_tokens
        self._client = openai.OpenAI(api_key=api_key, base_url=base_url, max_retries=0, timeout=self.settings.timeout_s)

    @classmethod
    def from_spec(cls, spec: Any, *, settings: ModelSettings, on_call: OnCall | None = None) -> OpenAIModel:
        """Build from a parsed ``openai:NAME[@base_url]`` string (without the user's key if it may not go there)."""
        return cls(
            spec.name,
            base_url=spec.base_url,
            api_key=None if spec.send_key else PLACEHOLDER_KEY,
            settings=settings,
            on_call=on_call,
        )

    def complete(
        self, messages: list[Message], *, max_tokens: int = 1024, temperature: float = 0.0, seed: int | None = None
    ) -> Completion:
        """Free-text answer to a chat conversation."""
        return self._chat(
            messages, {"max_tokens": max_tokens, "temperature": temperature, "seed": seed}, kind="complete"
        )

    def structured(
        self,
        messages: list[Message],
        schema: type[T],
        *,
        max_tokens: int = 1024,
        temperature: float = 0.0,
        seed: int | None = None,
    ) -> tuple[T, Usage]:
        """An instance of ``schema``: strict json_schema, else a forced function call, else prompted JSON.

        The first mode the endpoint accepts is remembered (this object stands for one endpoint and model),
        so a server that rejects json_schema is asked that way once, not on every call.
        """
        options: dict[str, Any] = {"max_tokens": max_tokens, "temperature": temperature, "seed": seed}

        def ask(conversation: list[Message]) -> Completion:
            while True:
                mode = STRUCTURED_MODES[self.structured_mode]
                extra, sent = structured_request(mode, conversation, schema)
                try:
                    return self._chat(sent, {**options, **extra}, kind="structured")
                except CallFailed as exc:
                    if mode == STRUCTURED_MODES[-1] or not _mode_unsupported(exc):
                        raise
                    self.structured_mode += 1

        return structured_with_repair(ask, messages, schema)

    def grammar_call(
        self, messages: list[Message], lark_grammar: str, *, max_tokens: int = 1024, seed: int | None = None
    ) -> Completion:
        """Text constrained by a Lark grammar through an OpenAI custom tool (GPT-5 family).

        Servers without custom tools answer 400; the caller then falls back to
        free text validated with lark.
        """
        tool = {
            "type": "custom",
            "custom": {
                "name": "emit_document",
                "description": "Emit the requested document.",
                "format": {"type": "grammar", "grammar": {"syntax": "lark", "definition": lark_grammar}},
            },
        }
        options = {
            "max_tokens": max_tokens,
            "seed": seed,
            "tools": [tool],
            "tool_choice": {"type": "custom", "custom": {"name": "emit_document"}},
        }
        return self._chat(messages, options, kind="generate")

    def _chat(self, messages: list[Message], options: dict[str, Any], *, kind: str) -> Completion:
        """One logical call: retried, timed, recorded."""
        record = CallRecord(model=self.name, kind=kind)
        start = time.monotonic()
        payload: list[Any] = [{"role": m.role, "content": m.content} for m in messages]

        def attempt(timeout_s: float) -> Any:
            while True:  # each pass drops or renames one parameter the model rejected, then stops
                sent = self._adapt(options)
                try:
                    return _chat_completion(
                        self._client.chat.completions.create(
                            model=self.model_id, messages=payload, timeout=timeout_s, **sent
                        )
                    )
                except openai.BadRequestError as exc:
                    if not self._learn_unsupported(exc, sent):
                        raise

        try:
            response, retries = call_with_retries(attempt, self._classify, self.settings, on_retry=show_retry)
        except CallFailed as exc:
            record.error = str(exc)
            record.finish(0, 0, time.monotonic() - start, exc.retries)
            emit(self.on_call, record)
            raise
        counted = response.usage
        prompt, completion = ((counted.prompt_tokens or 0), (counted.completion_tokens or 0)) if counted else (0, 0)
        usage = record.finish(prompt, completion, time.monotonic() - start, retries)
        emit(self.on_call, record)
        return Completion(_answer_text(response), usage)

    def _adapt(self, options: dict[str, Any]) -> dict[str, Any]:
        """Options as this model accepts them (reasoning models want max_completion_tokens, no temperature)."""
        sent = {k: v for k, v in options.items() if v is not None and k not in self._unsupported}
        if "max_tokens" in sent and "max_tokens" in self._renamed:
            sent["max_completion_tokens"] = sent.pop("max_tokens")
        return sent

    def _learn_unsupported(self, exc: openai.BadRequestError, sent: dict[str, Any]) -> bool:
        """Remember a parameter the model rejected as unsupported; True if retrying without it makes sense."""
        detail = _detail(exc)
        if "max_tokens" in sent and "max_completion_tokens" in detail:
            self._renamed.add("max_tokens")
            return True
        if "nsupported" not in detail:
            return False
        dropped = {k for k in ("temperature", "seed") if k in sent and f"'{k}'" in detail}
        self._unsupported |= dropped
        return bool(dropped)

    def _classify(self, exc: BaseException) -> Failure:
        """Transient or not, and a message that names the cause."""
        if isinstance(exc, openai.APITimeoutError):
            return Failure(True, f"{self.name}: request timed out at {self.base_url}")
        if isinstance(exc, openai.APIConnectionError):
            if refused := _unreachable(exc):  # nothing listens there: waiting will not change that
                return Failure(
                    False,
                    f"{self.name}: cannot connect to {self.base_url} ({refused}): "
                    "is the server running, and is the URL right?",
                )
            return Failure(True, f"{self.name}: cannot connect to {self.base_url}")
        if isinstance(exc, (ValueError, openai.APIResponseValidationError)):  # JSON that is not JSON, or not a chat
            return Failure(
                False,
                f"{self.name}: the server at {self.base_url} answered with something that is not "
                f"a chat completion ({redact(str(exc))[:120]}); check the model's base URL",
            )
        if not isinstance(exc, openai.APIStatusError):
            raise exc
        status, detail = exc.status_code, redact(_detail(exc))
        if status in RETRYABLE_STATUS or status >= 500:
            return Failure(
                True, f"{self.name}: server answered {status}: {detail}", retry_after(exc.response.headers), status
            )
        return Failure(False, self._fatal_message(status, detail), status=status)

    def _fatal_message(self, status: int, detail: str) -> str:
        if status == 401:
            return f"{self.name}: the API key was rejected (401) by {self.base_url}: check OPENAI_API_KEY"
        if status == 403:
            return f"{self.name}: access denied (403): the key may not be allowed to use this model: {detail}"
        if status == 404:
            return (
                f"{self.name}: unknown model or endpoint (404) at {self.base_url}: "
                f"check the model name and base_url: {detail}"
            )
        lowered = detail.lower()
        if (
            status == 400
            and "context" in lowered
            and ("length" in lowered or "too long" in lowered or "maximum" in lowered)
        ):
            return f"{self.name}: the prompt is too long for the model's context window (400): {detail}"
        return f"{self.name}: request rejected ({status}): {detail}"


def strict_format(schema: type[BaseModel]) -> dict[str, Any]:
    """The strict ``json_schema`` response_format for ``schema`` (OpenAI's strict-mode rules applied)."""
    from openai.lib._pydantic import to_strict_json_schema

    return {
        "type": "json_schema",
        "json_schema": {"name": schema.__name__, "schema": to_strict_json_schema(schema), "strict": True},
    }


def structured_request(
    mode: str, messages: list[Message], schema: type[BaseModel]
) -> tuple[dict[str, Any], list[Message]]:
    """The extra request options and the messages that ask for ``schema`` in ``mode``."""
    if mode == "json_schema":
        return {"response_format": strict_format(schema)}, messages
    if mode == "tools":
        function = {
            "name": schema.__name__,
            "description": f"Answer with the {schema.__name__}.",
            "parameters": schema.model_json_schema(),
        }
        return (
            {
                "tools": [{"type": "function", "function": function}],
                "tool_choice": {"type": "function", "function": {"name": schema.__name__}},
            },
            messages,
        )
    return {}, [Message("system", schema_instruction(schema)), *messages]


def _mode_unsupported(exc: CallFailed) -> bool:
    """Whether a failed structured call says the server lacks that way of asking (so try the next)."""
    lowered = str(exc).lower()
    return exc.status in (400, 404, 415, 422, 500, 501) and any(hint in lowered for hint in UNSUPPORTED_HINTS)


def retry_after(headers: Any) -> float | None:
    """Seconds from ``Retry-After`` (delta or HTTP date) or ``retry-after-ms``; None if absent."""
    if value := headers.get("retry-after-ms"):
        try:
            return float(value) / 1000
        except ValueError:
            pass
    value = headers.get("retry-after")
    if not value:
        return None
    try:
        return float(value)
    except ValueError:
        parsed = email.utils.parsedate_to_datetime(value) if value else None
        return max(0.0, parsed.timestamp() - time.time()) if parsed else None


def _chat_completion(response: Any) -> ChatCompletion:
    """``response`` if it is a chat completion; a server that answers 200 with a web page or other JSON is not."""
    if isinstance(response, ChatCompletion) and response.choices is not None:
        return response
    shown = " ".join(str(response).split())[:80]
    raise ValueError(f"got {type(response).__name__} {shown!r}")


def _answer_text(response: Any) -> str:
    """The message text, or the input of the custom tool or the arguments of the function the model called."""
    if not response.choices:
        return ""
    message = response.choices[0].message
    for call in message.tool_calls or []:
        custom = getattr(call, "custom", None)
        if custom is not None:
            return custom.input
        function = getattr(call, "function", None)
        if function is not None and function.arguments:
            return function.arguments
    return message.content or ""


def show_retry(message: str) -> None:
    """Tell the person waiting what failed and how long until the next try (stderr)."""
    from core.console import err

    err.print(message, style="yellow")


def _unreachable(exc: BaseException) -> str | None:
    """ "connection refused" or "unknown host" when that is what lies under a connection error, else None."""
    import socket

    seen: BaseException | None = exc
    while seen is not None:
        if isinstance(seen, ConnectionRefusedError):
            return "connection refused"
        if isinstance(seen, socket.gaierror):
            return "unknown host"
        seen = seen.__cause__ or seen.__context__
    return None


def _detail(exc: openai.APIStatusError) -> str:
    body = exc.body
    if isinstance(body, dict):
        inner = body.get("error", body)
        if isinstance(inner, dict) and inner.get("message"):
            return str(inner["message"])
    return exc.message
