"""Files given to the model with the question: ``upload_files`` under ``backend:`` (MassGen's
key) and ``massgen -a FILE`` / the Python API's ``attachments=``.

An ``upload_files`` entry is one of ``image_path``, ``audio_path``, ``video_path`` or
``file_path``, naming a local file (relative to the config file's folder) or a URL. Each is
checked here, at load time, against what the agent's backend and model accept (the capability
table):

* images, audio and video need ``image_understanding`` / ``audio_understanding`` /
  ``video_understanding``, and a local file's content must be of that kind;
* a document (``file_path``) goes to the provider's file search on a backend with
  ``file_search`` (any type); otherwise a PDF needs ``document_understanding`` and a text
  document is given inline, in the question, up to :data:`INLINE_TEXT_LIMIT` bytes.

:func:`given_parts` turns the checked parts into what the backend is sent: text documents become
text parts for backends without file search; everything else stays a
:class:`~massgen_core.plugin.messages.MediaPart` for the backend to send in its native format.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..plugin.errors import MassgenError
from ..plugin.media_types import INLINE_TEXT_LIMIT, is_pdf, is_text_mime, kind_of_mime
from ..plugin.messages import MediaKind, MediaPart, Part, TextPart, is_url
from .converter import kind_of
from .issues import ConfigPath, IssueList, suggestion

if TYPE_CHECKING:
    from ..host.registry import Registry

__all__ = [
    "UPLOAD_KEYS",
    "AttachmentError",
    "attachment_problem",
    "check_attachments",
    "given_parts",
    "resolve_attachments",
    "structure_uploads",
]

#: ``upload_files`` entry keys and the kind of media each names
UPLOAD_KEYS: dict[str, MediaKind] = {
    "image_path": "image",
    "audio_path": "audio",
    "video_path": "video",
    "file_path": "file",
}
_CAPABILITY: dict[MediaKind, str] = {
    "image": "image_understanding",
    "audio": "audio_understanding",
    "video": "video_understanding",
}
_KEY_OF = {kind: key for key, kind in UPLOAD_KEYS.items()}


def attachment_problem(
    part: MediaPart,
    backend_type: str,
    model: str | None,
    capabilities: frozenset[str],
    where: Callable[[str], str],
) -> str | None:
    """What is wrong with giving ``part`` to this backend and model, or ``None``.

    ``where(kind)`` says where a missing capability can be found (the registry's
    :meth:`~massgen_core.host.registry.Registry.where_capability`).
    """
    name = part.path or part.url or part.filename
    on = f"backend {backend_type!r}" + (f" with model {model!r}" if model else "")
    mime = part.media_type
    if part.path is not None:
        local = Path(part.path)
        if not local.exists():
            return f"{name}: no such file"
        if not local.is_file():
            return f"{name}: not a file"
        if not os.access(local, os.R_OK):
            return f"{name}: not readable"
    if part.kind != "file":
        actual = kind_of_mime(mime)
        if mime is None:
            return (
                f"{name}: cannot tell what kind of {part.kind} this is (unknown format); "
                f"give a file with a known {part.kind} format"
            )
        if actual != part.kind:
            return f"{name} is {mime}, not {_a(part.kind)}; give it as {_KEY_OF[actual]}"
        capability = _CAPABILITY[part.kind]
        if capability not in capabilities:
            return (
                f"{on} does not accept {part.kind} input (no {capability!r} capability); {where(capability)}"
            )
        return None
    if "file_search" in capabilities:
        return None
    if is_pdf(mime) or part.is_remote:
        if "document_understanding" in capabilities:
            return None
        what = "a PDF" if is_pdf(mime) else "a document by URL"
        return (
            f"{name}: {on} cannot read {what} (no 'document_understanding' or 'file_search' "
            f"capability); {where('document_understanding')}"
        )
    if not is_text_mime(mime):
        return (
            f"{name} is {mime or 'of an unknown type'}: {on} takes documents as text given inline "
            f"(text, Markdown, code, JSON, CSV...) or PDFs with 'document_understanding'; "
            f"for other formats use a backend with file search ({where('file_search')})"
        )
    if part.path is not None:
        size = Path(part.path).stat().st_size
        if size > INLINE_TEXT_LIMIT:
            return (
                f"{name} is {size:,} bytes: {on} has no file search, so documents are given inline, "
                f"as text in the question, up to {INLINE_TEXT_LIMIT:,} bytes "
                f"({INLINE_TEXT_LIMIT // 1024} KiB); shorten it or use a backend with file search "
                f"({where('file_search')})"
            )
    return None


def _a(kind: str) -> str:
    return {"image": "an image", "audio": "audio", "video": "a video"}.get(kind, f"a {kind}")


def given_parts(parts: Iterable[MediaPart], capabilities: frozenset[str]) -> tuple[Part, ...]:
    """The parts added to the question's message for a backend with ``capabilities``: a text
    document becomes a text part (its content inline) unless the backend has file search."""
    out: list[Part] = []
    for part in parts:
        if (
            part.kind == "file"
            and "file_search" not in capabilities
            and not part.is_remote
            and not is_pdf(part.media_type)
        ):
            body = part.text(INLINE_TEXT_LIMIT)
            out.append(TextPart(text=f'<document name="{part.filename}">\n{body}\n</document>'))
        else:
            out.append(part)
    return tuple(out)


def structure_uploads(
    raw: Any,
    path: ConfigPath,
    base_dir: Path,
    backend_type: str,
    model: str | None,
    registry: Registry,
    issues: IssueList,
) -> tuple[MediaPart, ...] | None:
    """The ``upload_files`` list at ``path``, checked; ``None`` (with issues) if anything is wrong."""
    if raw is None:
        return ()
    if not isinstance(raw, list):
        issues.at_value(
            path, f"expected a list of entries like `- image_path: photo.jpg`, got {kind_of(raw)}"
        )
        return None
    capabilities = registry.capabilities(backend_type, model)
    parts: list[MediaPart] = []
    ok = True
    for index, entry in enumerate(raw):
        where: ConfigPath = (*path, index)
        part = _entry(entry, where, base_dir, issues)
        if part is _NOT_HERE:  # a problem of this machine; what the file is can still be checked
            key = next(iter(entry))
            if (
                problem := _kind_problem(UPLOAD_KEYS[key], backend_type, model, capabilities, registry)
            ) is not None:
                issues.at_value((*where, key), problem)
                ok = False
            continue
        if part is None:
            ok = False
            continue
        problem = attachment_problem(
            part, backend_type, model, capabilities, lambda k: registry.where_capability(k, backend_type)
        )
        if problem is not None:
            key = next(iter(entry))
            issues.at_value((*where, key), problem)
            ok = False
            continue
        parts.append(part)
    return tuple(parts) if ok else None


def _kind_problem(
    kind: MediaKind, backend_type: str, model: str | None, capabilities: frozenset[str], registry: Registry
) -> str | None:
    """Whether the backend takes this kind of media at all (for a file that is not here to look at)."""
    capability = _CAPABILITY.get(kind)
    if capability is None or capability in capabilities:
        return None
    on = f"backend {backend_type!r}" + (f" with model {model!r}" if model else "")
    return (
        f"{on} does not accept {kind} input (no {capability!r} capability); "
        f"{registry.where_capability(capability, backend_type)}"
    )


#: what :func:`_entry` returns for a local file that is not on this machine (reported there)
_NOT_HERE: Any = object()


def _entry(entry: Any, where: ConfigPath, base_dir: Path, issues: IssueList) -> MediaPart | None:
    keys = ", ".join(UPLOAD_KEYS)
    if not isinstance(entry, dict) or len(entry) != 1:
        issues.at_value(
            where, f"each upload is a mapping with one of {keys} (e.g. `- image_path: photo.jpg`)"
        )
        return None
    key, value = next(iter(entry.items()))
    if key not in UPLOAD_KEYS:
        issues.at_key(
            (*where, key), f"unknown upload key {key!r}{suggestion(key, UPLOAD_KEYS)}", unknown=True
        )
        return None
    if not isinstance(value, str) or not value.strip():
        issues.at_value((*where, key), f"expected a file path or URL, got {kind_of(value)}")
        return None
    kind = UPLOAD_KEYS[key]
    if is_url(value):
        return MediaPart.from_url(value, kind)
    local = Path(os.path.expanduser(value))
    local = local if local.is_absolute() else base_dir / local
    if not local.exists():
        relative = "" if Path(os.path.expanduser(value)).is_absolute() else f" (looked for at {local})"
        issues.on_machine(
            (*where, key),
            f"{value}: no such file{relative}: put the file there, or give the path of one on this machine",
        )
        return _NOT_HERE  # type: ignore[no-any-return]
    if not local.is_file():
        issues.at_value((*where, key), f"{value}: no such file (not a file)")
        return None
    try:
        return MediaPart.from_path(local, kind)
    except OSError as exc:
        issues.at_value((*where, key), f"{value}: cannot be read ({exc.strerror or exc})")
        return None


def resolve_attachments(
    sources: Sequence[str | os.PathLike[str] | MediaPart], base_dir: Path | None = None
) -> tuple[MediaPart, ...]:
    """``massgen -a`` / ``attachments=`` as parts: each a path, a URL or a ready part; the kind of a
    path or URL comes from its content (else its name).

    :raises AttachmentError: a file does not exist or cannot be read.
    """
    parts: list[MediaPart] = []
    for source in sources:
        if isinstance(source, MediaPart):
            parts.append(source)
            continue
        text = os.fspath(source)
        if is_url(text):
            parts.append(MediaPart.from_url(text))
            continue
        local = Path(os.path.expanduser(text))
        if base_dir is not None and not local.is_absolute():
            local = base_dir / local
        if not local.is_file():
            raise AttachmentError(
                f"attachment {text}: " + ("not a file" if local.exists() else "no such file")
            )
        try:
            parts.append(MediaPart.from_path(local))
        except OSError as exc:
            raise AttachmentError(f"attachment {text}: cannot be read ({exc.strerror or exc})") from None
    return tuple(parts)


def check_attachments(
    parts: Sequence[MediaPart], agents: Iterable[tuple[str, str, str | None]], registry: Registry
) -> None:
    """Check question attachments against every agent's backend and model (``(agent id, backend
    type, model)``).

    :raises AttachmentError: naming each agent that cannot take one, and why.
    """
    problems: list[str] = []
    agents = list(agents)
    for agent_id, backend_type, model in agents:
        capabilities = registry.capabilities(backend_type, model)

        def where(kind: str, backend_type: str = backend_type) -> str:
            return registry.where_capability(kind, backend_type)

        for part in parts:
            problem = attachment_problem(part, backend_type, model, capabilities, where)
            if problem is not None:
                name = part.path or part.url or part.filename
                what = problem if problem.startswith(name) else f"{name}: {problem}"
                who = f"agent {agent_id}: " if len(agents) > 1 else ""
                problems.append(f"{who}attachment {what}")
    if problems:
        raise AttachmentError("; ".join(problems))


class AttachmentError(MassgenError):
    """An attachment cannot be given to the agents (the message says why and what to do)."""
