"""Storage for files with personal data (report PDFs): on disk, never given a web address."""

from collections.abc import Callable
from typing import Any

from django.core.files.storage import FileSystemStorage, Storage


class PrivateFileSystemStorage(FileSystemStorage):
    """A FileSystemStorage whose files have no URL: a view that checks access serves them.

    (FileSystemStorage with base_url=None falls back to MEDIA_URL, so it does build one.)
    """

    def url(self, name):
        raise ValueError(
            "Private files have no public address: serve them through a view that checks access"
        )


# --- Which app keeps private files (for backup and restore) --------------------------------
#
# Backup copies the database and the private files the database refers to. The app that keeps
# them says where (its storage) and which rows name them (a model and its file field), so
# nothing in resettle/ imports an app's models.

_PRIVATE_FILES: list[tuple[Callable[[], Storage], Callable[[], Any]]] = []


def register_private_files(*, storage: Callable[[], Storage], model: Callable[[], Any]) -> None:
    """`storage()` gives the storage; `model()` the model whose `file` field names them."""
    _PRIVATE_FILES[:] = [(storage, model)]


def private_files() -> tuple[Storage, Any]:
    if not _PRIVATE_FILES:  # pragma: no cover - the reports app registers in ready()
        raise RuntimeError("No app has registered its private files")
    storage, model = _PRIVATE_FILES[0]
    return storage(), model()
