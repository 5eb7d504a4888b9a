"""Storage for files with personal data (report PDFs): on disk, never given a web address."""

from django.core.files.storage import FileSystemStorage


class PrivateFileSystemStorage(FileSystemStorage):
    """A FileSystemStorage whose files have no URL: a view that checks access serves them.

    (FileSystemStorage with base_url=None falls back to MEDIA_URL, so it does build one.)
    """

    def url(self, name):
        raise ValueError(
            "Private files have no public address: serve them through a view that checks access"
        )
