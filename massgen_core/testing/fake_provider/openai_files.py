"""OpenAI's Files and Vector Stores APIs, as far as file search needs them.

``POST /v1/files`` (multipart: ``file``, ``purpose``), ``GET``/``DELETE /v1/files/{id}``,
``POST /v1/vector_stores`` (``name``, ``file_ids``), ``GET``/``DELETE /v1/vector_stores/{id}``,
``POST``/``GET /v1/vector_stores/{id}/files``, in the OpenAI wire format (Azure's ``/openai/v1/``
prefix too). Stores are ready at once (``status: completed``). What was uploaded stays readable
by tests (:attr:`FileStore.files`, with the bytes) after it is deleted; :attr:`FileStore.deleted`
lists what a client cleaned up.
"""

from __future__ import annotations

import itertools
import re
import threading
from collections.abc import Mapping
from email.parser import BytesParser
from email.policy import HTTP
from typing import Any

from attrs import define, field, frozen

from .rendering import JsonObject, unix_time

__all__ = ["FileStore", "UploadedFile", "VectorStore"]

_PREFIX = re.compile(r"^/openai/(?:v1/|deployments/[^/]+/)")
_FILES = re.compile(r"^/v1/files(?:/(?P<id>[^/]+))?/?$")
_STORES = re.compile(r"^/v1/vector_stores(?:/(?P<id>[^/]+)(?P<files>/files)?)?/?$")

Answer = tuple[int, JsonObject]


@frozen
class UploadedFile:
    """A file a client uploaded: its id, name, purpose and bytes."""

    id: str
    filename: str
    purpose: str
    data: bytes = field(repr=False)
    created_at: int = 0

    def wire(self) -> JsonObject:
        return {
            "id": self.id,
            "object": "file",
            "bytes": len(self.data),
            "created_at": self.created_at,
            "filename": self.filename,
            "purpose": self.purpose,
            "status": "processed",
            "expires_at": None,
            "status_details": None,
        }


@define
class VectorStore:
    """A vector store and the ids of its files."""

    id: str
    name: str | None
    file_ids: list[str]
    usage_bytes: int = 0
    created_at: int = 0

    def wire(self) -> JsonObject:
        count = len(self.file_ids)
        return {
            "id": self.id,
            "object": "vector_store",
            "created_at": self.created_at,
            "name": self.name,
            "usage_bytes": self.usage_bytes,
            "file_counts": {
                "in_progress": 0,
                "completed": count,
                "failed": 0,
                "cancelled": 0,
                "total": count,
            },
            "status": "completed",
            "last_active_at": self.created_at,
            "metadata": {},
            "expires_after": None,
            "expires_at": None,
        }

    def file_wire(self, file_id: str) -> JsonObject:
        return {
            "id": file_id,
            "object": "vector_store.file",
            "created_at": self.created_at,
            "usage_bytes": 0,
            "vector_store_id": self.id,
            "status": "completed",
            "last_error": None,
        }


class FileStore:
    """The server's uploaded files and vector stores (thread-safe)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._ids = itertools.count(1)
        self.files: dict[str, UploadedFile] = {}
        self.vector_stores: dict[str, VectorStore] = {}
        self.deleted: list[str] = []

    def answer(
        self, method: str, path: str, headers: Mapping[str, str], body: bytes, json: Any
    ) -> Answer | None:
        """The answer to a Files / Vector Stores request, or ``None`` when ``path`` is neither."""
        path = _PREFIX.sub("/v1/", path)
        with self._lock:
            if match := _FILES.match(path):
                return self._files(method, match["id"], headers, body)
            if match := _STORES.match(path):
                return self._stores(method, match["id"], bool(match["files"]), json)
        return None

    def _next(self, prefix: str) -> str:
        return f"{prefix}-fake{next(self._ids)}"

    def _files(self, method: str, file_id: str | None, headers: Mapping[str, str], body: bytes) -> Answer:
        if file_id is None and method == "POST":
            fields, files = _multipart(headers.get("content-type", ""), body)
            if "file" not in files:
                return _error(400, "Missing required parameter: 'file'.", "file")
            filename, data = files["file"]
            uploaded = UploadedFile(
                id=self._next("file"),
                filename=filename,
                purpose=fields.get("purpose", ""),
                data=data,
                created_at=unix_time(),
            )
            self.files[uploaded.id] = uploaded
            return 200, uploaded.wire()
        if file_id is None and method == "GET":
            live = [f.wire() for i, f in self.files.items() if i not in self.deleted]
            return 200, {"object": "list", "data": live, "has_more": False}
        if file_id is None or file_id not in self.files or file_id in self.deleted:
            return _error(404, f"No such File object: {file_id}", "id")
        if method == "DELETE":
            self.deleted.append(file_id)
            return 200, {"id": file_id, "object": "file", "deleted": True}
        return 200, self.files[file_id].wire()

    def _stores(self, method: str, store_id: str | None, files: bool, json: Any) -> Answer:
        body = json if isinstance(json, dict) else {}
        if store_id is None:
            if method != "POST":
                live = [s.wire() for i, s in self.vector_stores.items() if i not in self.deleted]
                return 200, {"object": "list", "data": live, "has_more": False}
            file_ids = [str(i) for i in body.get("file_ids") or ()]
            missing = [i for i in file_ids if i not in self.files]
            if missing:
                return _error(404, f"No such File object: {missing[0]}", "file_ids")
            store = VectorStore(
                id=self._next("vs"),
                name=body.get("name"),
                file_ids=file_ids,
                usage_bytes=sum(len(self.files[i].data) for i in file_ids),
                created_at=unix_time(),
            )
            self.vector_stores[store.id] = store
            return 200, store.wire()
        found = self.vector_stores.get(store_id)
        if found is None or store_id in self.deleted:
            return _error(404, f"No such vector store: {store_id}", "vector_store_id")
        if files:
            if method == "POST":
                file_id = str(body.get("file_id"))
                if file_id not in self.files:
                    return _error(404, f"No such File object: {file_id}", "file_id")
                found.file_ids.append(file_id)
                return 200, found.file_wire(file_id)
            data = [found.file_wire(i) for i in found.file_ids]
            return 200, {"object": "list", "data": data, "has_more": False}
        if method == "DELETE":
            self.deleted.append(store_id)
            return 200, {"id": store_id, "object": "vector_store.deleted", "deleted": True}
        return 200, found.wire()


def _error(status: int, message: str, param: str | None) -> Answer:
    code = "not_found" if status == 404 else "invalid_request"
    return status, {
        "error": {"message": message, "type": "invalid_request_error", "param": param, "code": code}
    }


def _multipart(content_type: str, body: bytes) -> tuple[dict[str, str], dict[str, tuple[str, bytes]]]:
    """The form fields and files of a ``multipart/form-data`` body."""
    fields: dict[str, str] = {}
    files: dict[str, tuple[str, bytes]] = {}
    if not content_type.lower().startswith("multipart/"):
        return fields, files
    message = BytesParser(policy=HTTP).parsebytes(
        b"Content-Type: " + content_type.encode() + b"\r\n\r\n" + body
    )
    if not message.is_multipart():
        return fields, files
    for part in message.iter_parts():
        name = part.get_param("name", header="content-disposition")
        payload = part.get_payload(decode=True)
        data = payload if isinstance(payload, bytes) else b""
        if not isinstance(name, str):
            continue
        filename = part.get_filename()
        if filename is not None:
            files[name] = (filename, data)
        else:
            fields[name] = data.decode("utf-8", "replace")
    return fields, files
