"""The OpenAI Chat Completions wire format: a request body read into what the team is asked, and
the replies (completion, stream chunks, model list, errors) shaped as api.openai.com shapes them.

Reading a request (:func:`parse_chat_request`). Every violation is an :class:`ApiError` 400 whose
``param`` is the JSON path of the value at fault (``messages[2].content``), whose message says
what is wrong and what to send instead, and whose ``code`` is ``invalid_type`` (a value of the
wrong JSON type), ``missing_required_parameter`` (a required value absent), ``invalid_value``
(a value of the right type that is wrong, or that a team cannot take) or ``None`` (invalid JSON).
``null`` counts as absent, for every key, as it does at api.openai.com.

* The body is a UTF-8 JSON object. ``model`` (a non-empty string) and ``messages`` (a non-empty
  list of ``{role, content}`` objects) are required; ``role`` is one of system, developer, user,
  assistant, tool, function.
* A content is a string or a list of parts: ``text`` parts (their texts joined by a newline) and
  ``image_url`` parts (``{"url": ...}``, or the URL itself). An image URL is ``data:``,
  ``http://`` or ``https://``, never a path: that would let a client make the server read its
  own files. Only an assistant message may have no content (it is then empty).
* ``system`` and ``developer`` messages, wherever they stand, are instructions for this
  question: their texts, in order and blank-line separated, come before the question.
* The conversation is the user and assistant messages in order; consecutive messages of one
  role are one turn (joined by a blank line). It ends with a user turn, the question, which must
  have text or an image; each earlier (user, assistant) pair of turns is history, oldest first,
  and an assistant turn with no user turn before it (a greeting) is paired with ``""``. Images
  are taken with the last user turn only.
* A team answers in text, once: tools (``tools``, ``functions``, a ``tool_choice`` other than
  ``"none"``, tool and function messages, assistant ``tool_calls`` or ``function_call``), an
  ``n`` other than 1, ``logprobs: true`` and a ``response_format`` other than ``text`` are
  refused.
* ``stream`` and ``stream_options.include_usage`` (booleans), ``user`` (a string) and the
  extension ``massgen`` (an object whose only key is the boolean ``progress``; the openai SDK
  sends it as ``extra_body={"massgen": {"progress": True}}``) are read. The sampling fields
  (``temperature``, ``top_p``, ``presence_penalty``, ``frequency_penalty``, ``max_tokens``,
  ``max_completion_tokens``, ``stop``, ``seed``) and ``metadata`` are type-checked, then
  ignored: the team's config decides. Any other key is ignored, as clients send many.

Replies: :func:`completion` (a whole answer), :func:`chunk` and :func:`usage_chunk` (a stream's
pieces), :func:`model_list`, each with MassGen's ``massgen`` field where given (plain clients
ignore it), and :func:`sse` to send one as a server-sent event. The standard errors
(:func:`model_not_found`, :func:`missing_key`, ...) have api.openai.com's status, type and code.
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import attrs

__all__ = [
    "ApiError",
    "ChatRequest",
    "Usage",
    "body_too_large",
    "chunk",
    "completion",
    "completion_id",
    "invalid_json",
    "invalid_key",
    "json_object",
    "method_not_allowed",
    "missing_key",
    "model_list",
    "model_not_found",
    "not_found",
    "parse_chat_request",
    "server_error",
    "sse",
    "timed_out",
    "too_many_requests",
    "usage_chunk",
]


class ApiError(Exception):
    """An error answered in OpenAI's error shape."""

    def __init__(
        self,
        status: int,
        message: str,
        *,
        type: str = "invalid_request_error",
        param: str | None = None,
        code: str | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.type = type
        self.param = param
        self.code = code
        self.headers = dict(headers or {})

    def body(self) -> dict[str, Any]:
        return {"error": {"message": self.message, "type": self.type, "param": self.param, "code": self.code}}


# -- the standard errors ------------------------------------------------------------------------
def invalid_json(detail: str) -> ApiError:
    return ApiError(400, f"The request body is not valid JSON ({detail}). Send a JSON object.")


def model_not_found(model: str, available: Sequence[str]) -> ApiError:
    served = ", ".join(available) or "no models"
    return ApiError(
        404,
        f"The model `{model}` does not exist. This server serves: {served} (GET /v1/models lists them).",
        param="model",
        code="model_not_found",
    )


def missing_key() -> ApiError:
    return ApiError(
        401,
        "You didn't provide an API key. Send it as a bearer token: Authorization: Bearer KEY "
        "(openai SDK: api_key=...).",
    )


def invalid_key() -> ApiError:
    return ApiError(401, "Incorrect API key provided.", code="invalid_api_key")


def too_many_requests(retry_after: int, limit: int) -> ApiError:
    plural = "" if limit == 1 else "s"
    return ApiError(
        429,
        f"This server runs at most {limit} coordination{plural} at once and none is free. Retry in "
        f"{retry_after} s (the Retry-After header); the server's --max-concurrent raises the limit.",
        type="requests",
        code="rate_limit_exceeded",
        headers={"Retry-After": str(retry_after)},
    )


def _size(n: int) -> str:
    for unit, scale in (("MiB", 1024**2), ("KiB", 1024)):
        if n >= scale:
            return f"{n / scale:.4g} {unit}"
    return f"{n} bytes"


def body_too_large(limit_bytes: int) -> ApiError:
    return ApiError(
        413,
        f"The request body is over this server's limit of {_size(limit_bytes)}; the server's "
        "--max-body-size raises it.",
        code="request_too_large",
    )


def timed_out(seconds: float) -> ApiError:
    return ApiError(
        504,
        f"The team did not answer within {seconds:g} s, so its run was cancelled; the server's "
        "--request-timeout raises the limit.",
        type="timeout",
        code="timeout",
    )


def not_found(method: str, path: str) -> ApiError:
    return ApiError(
        404,
        f"Unknown request URL: {method} {path}. Check the URL for typos: this server answers the "
        "OpenAI API under /v1 (the openai SDK's base_url ends with /v1).",
        code="unknown_url",
    )


def method_not_allowed(method: str, path: str) -> ApiError:
    return ApiError(
        405, f"Method not allowed: {path} does not take {method} requests.", code="method_not_allowed"
    )


def server_error(message: str) -> ApiError:
    return ApiError(500, message, type="server_error")


# -- reading a request: the values --------------------------------------------------------------
@attrs.frozen(kw_only=True)
class ChatRequest:
    """What a request asks the team (see the module docstring)."""

    model: str
    question: str
    history: tuple[tuple[str, str], ...]
    images: tuple[str, ...]
    stream: bool
    include_usage: bool
    progress: bool | None
    user: str | None


_KINDS: Mapping[type, str] = {
    type(None): "null",
    bool: "a boolean",
    int: "a number",
    float: "a number",
    str: "a string",
    list: "a list",
    dict: "an object",
}
_NO_TOOLS = "a MassGen team answers in text; it cannot call the client's tools"


def _invalid(param: str | None, message: str) -> ApiError:
    return ApiError(400, message, param=param, code="invalid_value")


def _wrong_type(param: str, wanted: str, value: Any) -> ApiError:
    return ApiError(
        400, f"{param} must be {wanted}, got {_KINDS[type(value)]}", param=param, code="invalid_type"
    )


def _missing(param: str, what: str) -> ApiError:
    return ApiError(400, f"{param} is required: {what}", param=param, code="missing_required_parameter")


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _is_stop(value: Any) -> bool:
    return isinstance(value, str) or (isinstance(value, list) and all(isinstance(s, str) for s in value))


def _required_string(obj: Mapping[str, Any], key: str, param: str, what: str) -> str:
    value = obj.get(key)
    if value is None:
        raise _missing(param, what)
    if not isinstance(value, str):
        raise _wrong_type(param, "a string", value)
    return value


def json_object(body: bytes) -> dict[str, Any]:
    """``body`` as a JSON object; :class:`ApiError` (400) when it is not one."""
    try:
        data = json.loads(body.decode())
    except UnicodeDecodeError:
        raise invalid_json("it is not UTF-8 text") from None
    except json.JSONDecodeError as exc:
        raise invalid_json(f"{exc.msg} at line {exc.lineno}, column {exc.colno}") from None
    except (ValueError, RecursionError) as exc:  # a number too long to read, arrays nested too deep
        raise invalid_json(str(exc)) from None
    if not isinstance(data, dict):
        raise ApiError(
            400, f"The request body must be a JSON object, got {_KINDS[type(data)]}.", code="invalid_type"
        )
    return data


# -- reading a request: the options ---------------------------------------------------------------
_Check = Callable[[Any, str], None]


def _of_type(wanted: str, ok: Callable[[Any], bool]) -> _Check:
    def check(value: Any, param: str) -> None:
        if not ok(value):
            raise _wrong_type(param, wanted, value)

    return check


_boolean = _of_type("true or false", lambda value: isinstance(value, bool))
_integer = _of_type("an integer", _is_int)
_object = _of_type("an object", lambda value: isinstance(value, dict))


def _n(value: Any, param: str) -> None:
    _integer(value, param)
    if value != 1:
        raise _invalid(param, f"a team gives one answer; n must be 1, got {value}")


def _positive(value: Any, param: str) -> None:
    _integer(value, param)
    if value < 1:
        raise _invalid(param, f"{param} must be a positive integer, got {value}")


def _logprobs(value: Any, param: str) -> None:
    _boolean(value, param)
    if value:
        raise _invalid(
            param, "logprobs are not supported: a team's answer has no single model's token probabilities"
        )


def _response_format(value: Any, param: str) -> None:
    _object(value, param)
    kind = _required_string(value, "type", f"{param}.type", 'the format of the answer: "text"')
    if kind != "text":
        raise _invalid(
            param,
            f'response_format {kind!r} is not supported: a team answers in text; leave it out or send {{"type": "text"}}',
        )


def _stream_options(value: Any, param: str) -> None:
    _object(value, param)
    include = value.get("include_usage")
    if include is not None:
        _boolean(include, f"{param}.include_usage")


_OPTIONS: Mapping[str, _Check] = {
    "stream": _boolean,
    "stream_options": _stream_options,
    "n": _n,
    "temperature": _of_type("a number", _is_number),
    "top_p": _of_type("a number", _is_number),
    "presence_penalty": _of_type("a number", _is_number),
    "frequency_penalty": _of_type("a number", _is_number),
    "max_tokens": _positive,
    "max_completion_tokens": _positive,
    "stop": _of_type("a string or a list of strings", _is_stop),
    "user": _of_type("a string", lambda value: isinstance(value, str)),
    "seed": _integer,
    "response_format": _response_format,
    "metadata": _object,
    "logprobs": _logprobs,
}


def _check_options(data: Mapping[str, Any]) -> None:
    for key, check in _OPTIONS.items():
        if data.get(key) is not None:
            check(data[key], key)


def _refuse_tools(data: Mapping[str, Any]) -> None:
    for key in ("tools", "functions"):
        if data.get(key):
            raise _invalid(key, f"{_NO_TOOLS}: send the request without `{key}`")
    choice = data.get("tool_choice")
    if choice is not None and choice != "none":
        raise _invalid("tool_choice", f'{_NO_TOOLS}: leave tool_choice out, or send "none"')


_EXTENSION_KEYS = ("progress",)


def _progress(data: Mapping[str, Any]) -> bool | None:
    """The extension switch: ``massgen.progress``, ``None`` when not given."""
    extension = data.get("massgen")
    if extension is None:
        return None
    if not isinstance(extension, dict):
        raise _wrong_type("massgen", 'an object such as {"progress": true}', extension)
    for key in extension:
        if key not in _EXTENSION_KEYS:
            known = ", ".join(repr(k) for k in _EXTENSION_KEYS)
            raise _invalid(f"massgen.{key}", f"unknown key {key!r} in massgen; the known keys are {known}")
    progress = extension.get("progress")
    if progress is None:
        return None
    _boolean(progress, "massgen.progress")
    return bool(progress)


# -- reading a request: the conversation ----------------------------------------------------------
_ROLES = ("system", "developer", "user", "assistant", "tool", "function")
_INSTRUCTIONS = ("system", "developer")
_IMAGE_SCHEMES = ("data:", "http://", "https://")


@attrs.frozen
class _Image:
    url: str
    param: str  # the part's path, ``messages[i].content[j]``


@attrs.frozen
class _Message:
    role: str
    text: str
    images: tuple[_Image, ...]
    param: str


def _join(texts: Sequence[str], separator: str) -> str:
    """The texts that are not blank, joined."""
    return separator.join(text for text in texts if text.strip())


def _image(part: Mapping[str, Any], param: str) -> _Image:
    """An ``image_url`` part: ``{"url": ...}``, or the URL itself."""
    where = f"{param}.image_url"
    image = part.get("image_url")
    if isinstance(image, dict):
        where = f"{where}.url"
        image = image.get("url")
    if image is None:
        raise _missing(where, "the image's URL")
    if not isinstance(image, str):
        raise _wrong_type(where, "a URL string", image)
    if not image.lower().startswith(_IMAGE_SCHEMES):
        raise _invalid(where, f"{where}: an image must be a data:, http:// or https:// URL, not a path")
    return _Image(image, param)


def _part(part: Any, param: str) -> str | _Image:
    """A content part: its text, or its image."""
    if not isinstance(part, dict):
        raise _wrong_type(param, "an object with a `type`", part)
    kind = _required_string(part, "type", f"{param}.type", '"text" or "image_url"')
    if kind == "text":
        return _required_string(part, "text", f"{param}.text", "the part's text")
    if kind == "image_url":
        return _image(part, param)
    raise _invalid(
        f"{param}.type", f"{param}: part type {kind!r} is not supported; a team takes text and images"
    )


def _content(message: Mapping[str, Any], role: str, param: str) -> tuple[str, tuple[_Image, ...]]:
    """A message's text and images; an assistant message may have none."""
    content = message.get("content")
    if content is None and role == "assistant":
        return "", ()
    if content is None:
        raise _missing(f"{param}.content", f"the text of the {role} message")
    if isinstance(content, str):
        return content, ()
    if not isinstance(content, list):
        raise _wrong_type(f"{param}.content", "a string or a list of parts", content)
    parts = [_part(part, f"{param}.content[{j}]") for j, part in enumerate(content)]
    texts = [part for part in parts if isinstance(part, str)]
    return _join(texts, "\n"), tuple(part for part in parts if isinstance(part, _Image))


def _message(item: Any, param: str) -> _Message:
    if not isinstance(item, dict):
        raise _wrong_type(param, "an object with `role` and `content`", item)
    role = _required_string(item, "role", f"{param}.role", "who says it: user, assistant or system")
    if role not in _ROLES:
        raise _invalid(
            f"{param}.role", f"{param}.role {role!r} is not one of user, assistant, system, developer"
        )
    if role in ("tool", "function") or item.get("tool_calls") or item.get("function_call"):
        raise _invalid(param, f"{param}: {_NO_TOOLS}")
    text, images = _content(item, role, param)
    return _Message(role, text, images, param)


def _messages(data: Mapping[str, Any]) -> list[_Message]:
    messages = data.get("messages")
    if messages is None:
        raise _missing("messages", "the conversation, ending with the user's question")
    if not isinstance(messages, list):
        raise _wrong_type("messages", "a list of messages", messages)
    if not messages:
        raise _invalid("messages", "messages are empty: send at least one user message")
    return [_message(item, f"messages[{i}]") for i, item in enumerate(messages)]


def _turns(messages: Sequence[_Message]) -> list[tuple[str, list[_Message]]]:
    """The user and assistant messages as turns, ``(role, messages)``; the last is the user's."""
    spoken = [message for message in messages if message.role not in _INSTRUCTIONS]
    if not spoken or spoken[-1].role != "user":
        raise _invalid(
            "messages", "the last message must be from the user: it is the question the team answers"
        )
    return [(role, list(group)) for role, group in itertools.groupby(spoken, key=lambda m: m.role)]


def _history(turns: Sequence[tuple[str, list[_Message]]]) -> tuple[tuple[str, str], ...]:
    """Each (user, assistant) pair of turns before the question; turns alternate."""
    history: list[tuple[str, str]] = []
    asked = ""
    for role, messages in turns:
        text = _join([message.text for message in messages], "\n\n")
        if role == "user":
            asked = text
        else:
            history.append((asked, text))
            asked = ""
    return tuple(history)


def _refuse_earlier_images(messages: Sequence[_Message], last: Sequence[_Message]) -> None:
    for message in messages:
        if message.images and message not in last:
            where = message.images[0].param
            raise _invalid(where, f"{where}: images are taken with the last user message only")


def _conversation(data: Mapping[str, Any]) -> tuple[str, tuple[tuple[str, str], ...], tuple[str, ...]]:
    """``(question, history, images)`` (see the module docstring)."""
    messages = _messages(data)
    turns = _turns(messages)
    last = turns[-1][1]
    _refuse_earlier_images(messages, last)
    asked = _join([message.text for message in last], "\n\n")
    images = tuple(image.url for message in last for image in message.images)
    if not asked and not images:
        raise _invalid("messages", "messages are empty: the last user message has no text and no image")
    instructions = _join([message.text for message in messages if message.role in _INSTRUCTIONS], "\n\n")
    return _join([instructions, asked], "\n\n"), _history(turns[:-1]), images


def parse_chat_request(body: bytes) -> ChatRequest:
    """``body`` as what it asks the team (see the module docstring).

    :raises ApiError: 400 saying what is wrong, with its JSON path as ``param``.
    """
    data = json_object(body)
    model = _required_string(data, "model", "model", "the name of a served team (GET /v1/models lists them)")
    if not model:
        raise _invalid("model", "model must be a non-empty string: a served team (GET /v1/models lists them)")
    _refuse_tools(data)
    question, history, images = _conversation(data)
    _check_options(data)
    return ChatRequest(
        model=model,
        question=question,
        history=history,
        images=images,
        stream=data.get("stream") is True,
        include_usage=(data.get("stream_options") or {}).get("include_usage") is True,
        progress=_progress(data),
        user=data.get("user"),
    )


# -- the replies ------------------------------------------------------------------------------------
@attrs.frozen(kw_only=True)
class Usage:
    """Tokens, summed over every agent's requests."""

    prompt_tokens: int
    completion_tokens: int
    cached_tokens: int = 0
    reasoning_tokens: int = 0

    def to_dict(self) -> dict[str, Any]:
        return {
            "prompt_tokens": self.prompt_tokens,
            "completion_tokens": self.completion_tokens,
            "total_tokens": self.prompt_tokens + self.completion_tokens,
            "prompt_tokens_details": {"cached_tokens": self.cached_tokens},
            "completion_tokens_details": {"reasoning_tokens": self.reasoning_tokens},
        }


def _usage(usage: Usage | None) -> dict[str, Any] | None:
    return usage.to_dict() if usage is not None else None


def completion_id(run_id: str) -> str:
    return f"chatcmpl-{run_id}"


def completion(
    *, id: str, model: str, created: int, content: str, usage: Usage | None, massgen: Mapping[str, Any]
) -> dict[str, Any]:
    """A whole answer (a request that was not streamed)."""
    return {
        "id": id,
        "object": "chat.completion",
        "created": created,
        "model": model,
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": content, "refusal": None},
                "logprobs": None,
                "finish_reason": "stop",
            }
        ],
        "usage": _usage(usage),
        "system_fingerprint": None,
        "massgen": dict(massgen),
    }


def _chunk(*, id: str, model: str, created: int, choices: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "id": id,
        "object": "chat.completion.chunk",
        "created": created,
        "model": model,
        "system_fingerprint": None,
        "choices": choices,
    }


def chunk(
    *,
    id: str,
    model: str,
    created: int,
    content: str | None = None,
    reasoning: str | None = None,
    role: bool = False,
    finish_reason: str | None = None,
    massgen: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """One piece of a stream: the role, text, reasoning (``reasoning_content``) or the end."""
    delta: dict[str, Any] = {"role": "assistant"} if role else {}
    if content is not None:
        delta["content"] = content
    if reasoning is not None:
        delta["reasoning_content"] = reasoning
    choice = {"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish_reason}
    piece = _chunk(id=id, model=model, created=created, choices=[choice])
    if massgen is not None:
        piece["massgen"] = dict(massgen)
    return piece


def usage_chunk(*, id: str, model: str, created: int, usage: Usage | None) -> dict[str, Any]:
    """The last chunk of a stream with ``stream_options.include_usage``: no choices, the usage."""
    return {**_chunk(id=id, model=model, created=created, choices=[]), "usage": _usage(usage)}


def model_list(names: Sequence[str], *, created: int, owned_by: str = "massgen") -> dict[str, Any]:
    return {
        "object": "list",
        "data": [{"id": name, "object": "model", "created": created, "owned_by": owned_by} for name in names],
    }


def sse(data: Mapping[str, Any] | str) -> bytes:
    """One server-sent event: ``data: <compact JSON>``; a string (``[DONE]``) is sent as it is."""
    text = (
        data if isinstance(data, str) else json.dumps(dict(data), separators=(",", ":"), ensure_ascii=False)
    )
    return f"data: {text}\n\n".encode()
