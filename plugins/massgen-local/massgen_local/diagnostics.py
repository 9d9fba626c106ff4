"""Error messages for local servers: the Troubleshooting checks (server up, port, ``/v1``, model loaded)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from massgen_core.plugin import ModelNotFoundError, connection_failed

if TYPE_CHECKING:
    from massgen_core.plugin import BackendContext, ConnectionFailedError

__all__ = ["missing_v1_hint", "model_not_loaded", "models_endpoint_missing"]


def missing_v1_hint(base_url: str | None) -> str | None:
    """A hint when ``base_url`` lacks the ``/v1`` suffix OpenAI-compatible servers expect."""
    if not base_url or urlsplit(base_url).path.rstrip("/").endswith("/v1"):
        return None
    return f"the base_url has no /v1 suffix; OpenAI-compatible servers expect {base_url.rstrip('/')}/v1"


def model_not_loaded(
    context: BackendContext, loaded: Sequence[str], *, detail: str | None = None
) -> ModelNotFoundError:
    """The model is not among those the server lists."""
    name = context.spec.display_name
    base = (context.base_url or "").rstrip("/")
    listing = ", ".join(loaded) if loaded else "none"
    lines = [
        f"{context.backend_type}: model {context.model!r} is not loaded in {name} at {base}",
        f"  loaded models: {listing}",
        f"  load it in {name}"
        + (f" (or: lms load {context.model})" if context.backend_type == "lmstudio" else "")
        + ", or set backend.model to one of the loaded models",
        f"  check: curl {base}/models",
    ]
    if detail:
        lines.append(f"  the server said: {detail}")
    return ModelNotFoundError("\n".join(lines), backend=context.backend_type, model=context.model)


def models_endpoint_missing(context: BackendContext) -> ConnectionFailedError | ModelNotFoundError:
    """``GET {base_url}/models`` answered 404: almost always a base URL without ``/v1``."""
    hint = missing_v1_hint(context.base_url)
    if hint is None:
        return ModelNotFoundError(
            f"{context.backend_type}: {context.base_url} has no /models endpoint; is it an "
            f"OpenAI-compatible server?",
            backend=context.backend_type,
            model=context.model,
        )
    error = connection_failed(
        backend=context.backend_type,
        base_url=context.base_url,
        detail="GET /models answered 404",
        model=context.model,
        hints=[hint],
    )
    error.retryable = False  # the same URL will answer 404 again
    return error
