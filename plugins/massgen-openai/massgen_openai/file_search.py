"""Documents given with the question go to OpenAI's file search (imports ``openai``).

The user messages' document parts (``upload_files: - file_path:``, ``massgen -a report.pdf``) are
uploaded through the Files API (``purpose: assistants``), put into one vector store, and taken out
of the prompt: the request gets the ``file_search`` tool over that store, and the message a note
naming the documents. Each document is uploaded once per backend (by content) and each set of
documents gets one store, so the turns of a run (and the core's retries) reuse them; the backend
deletes its stores and files when it is closed, as MassGen did.

Documents by URL stay ``input_file`` parts (``file_url``): the Files API takes bytes only.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
from collections.abc import Sequence
from typing import Any

from massgen_core.plugin import InvalidRequestError, MediaPart, Message, Part, TextPart

from .client import SDK_ERRORS
from .errors import ErrorContext, map_sdk_error

__all__ = ["FileSearch", "documents_of"]

#: how long to wait for a vector store to finish indexing its files
INDEX_TIMEOUT = 120.0
_POLL = 0.5


def documents_of(messages: Sequence[Message]) -> list[MediaPart]:
    """The user messages' local document parts (what goes to file search)."""
    return [
        part
        for message in messages
        if message.role == "user"
        for part in message.parts
        if isinstance(part, MediaPart) and part.kind == "file" and not part.is_remote
    ]


class FileSearch:
    """Uploads and vector stores of one backend (see the module docstring)."""

    def __init__(self, client: Any, errors: ErrorContext) -> None:
        self.client = client
        self.errors = errors
        self._files: dict[str, str] = {}  # sha256 of the content -> file id
        self._stores: dict[tuple[str, ...], str] = {}  # sorted file ids -> vector store id

    async def prepare(self, messages: Sequence[Message]) -> tuple[list[Message], str | None]:
        """``messages`` with their documents replaced by a note, and the vector store holding them
        (``None`` and the messages unchanged when there are none)."""
        documents = documents_of(messages)
        if not documents:
            return list(messages), None
        file_ids = [await self._upload(part) for part in documents]
        store = await self._store(file_ids)
        names = ", ".join(part.filename for part in documents)
        note = TextPart(
            text=f"(Documents attached: {names}. They are in your file search store: "
            "search them with the file_search tool.)"
        )
        out: list[Message] = []
        noted = False
        for message in messages:
            if message.role != "user" or not any(p in documents for p in message.parts):
                out.append(message)
                continue
            parts: list[Part] = [
                p for p in message.parts if not (isinstance(p, MediaPart) and p in documents)
            ]
            if not noted:
                parts.append(note)
                noted = True
            out.append(Message(role="user", parts=tuple(parts), provider_state=message.provider_state))
        return out, store

    async def _upload(self, part: MediaPart) -> str:
        try:
            data = part.read_bytes()
        except (OSError, ValueError) as exc:
            raise part.error(self.errors.backend, f"cannot read it for file search: {exc}") from exc
        key = hashlib.sha256(data).hexdigest()
        if key not in self._files:
            mime = part.media_type or "application/octet-stream"
            try:
                uploaded = await self.client.files.create(
                    file=(part.filename, data, mime), purpose="assistants"
                )
            except SDK_ERRORS as exc:
                raise map_sdk_error(exc, self.errors) from exc
            self._files[key] = str(uploaded.id)
        return self._files[key]

    async def _store(self, file_ids: list[str]) -> str:
        key = tuple(sorted(set(file_ids)))
        if key in self._stores:
            return self._stores[key]
        try:
            store = await self.client.vector_stores.create(name="massgen upload_files", file_ids=list(key))
            waited = 0.0
            while store.status == "in_progress" and waited < INDEX_TIMEOUT:
                await asyncio.sleep(_POLL)
                waited += _POLL
                store = await self.client.vector_stores.retrieve(store.id)
        except SDK_ERRORS as exc:
            raise map_sdk_error(exc, self.errors) from exc
        self._stores[key] = str(store.id)
        if store.status != "completed":
            raise InvalidRequestError(
                f"{self.errors.backend}: the file search store {store.id} is {store.status} after "
                f"{INDEX_TIMEOUT:g}s (file counts: {store.file_counts}); the documents could not be indexed",
                backend=self.errors.backend,
            )
        return str(store.id)

    async def aclose(self) -> None:
        """Delete the stores and files this backend made (failures ignored: they expire anyway)."""
        stores, files = list(self._stores.values()), list(self._files.values())
        self._stores.clear()
        self._files.clear()
        for store_id in stores:
            with contextlib.suppress(*SDK_ERRORS):
                await self.client.vector_stores.delete(store_id)
        for file_id in files:
            with contextlib.suppress(*SDK_ERRORS):
                await self.client.files.delete(file_id)
