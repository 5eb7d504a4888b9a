"""A TCP proxy between the app and PostgreSQL that the tests can cut, as a database outage.

    proxy = TcpProxy(("127.0.0.1", 5432)).start()   # the app connects to proxy.port
    proxy.cut()             # a restart: open connections are dropped, new ones refused
    proxy.cut(hang=True)    # the host is gone: connections are dropped, new ones never answered
    proxy.restore()         # the database is back on the same port
    proxy.cut_when_sent(b"COMMIT")   # drop everything just before that statement reaches it

Threads only (a few connections at a time); stop() closes everything.
"""

import contextlib
import socket
import threading
import time

CHUNK = 65536


def _close(sock: socket.socket) -> None:
    # shutdown wakes a thread blocked in recv on it; close alone may not.
    with contextlib.suppress(OSError):
        sock.shutdown(socket.SHUT_RDWR)
    with contextlib.suppress(OSError):
        sock.close()


class TcpProxy:
    def __init__(self, target: tuple[str, int], host: str = "127.0.0.1"):
        self.target = target
        self.host = host
        self.port = 0
        self._lock = threading.Lock()
        self._links: list[_Link] = []
        self._held: list[socket.socket] = []  # accepted while hanging: never answered
        self._listener: socket.socket | None = None
        self._hang = False
        self._trigger: tuple[bytes, float | None, bytes] | None = None
        self._timer: threading.Timer | None = None
        self._stopped = False
        self.accepted = 0

    # --- Control ----------------------------------------------------------------------------

    def start(self) -> "TcpProxy":
        self._listen()
        return self

    def cut(self, *, hang: bool = False) -> None:
        """Drop every open connection; then refuse new ones, or (hang) accept and ignore them."""
        with self._lock:
            self._hang = hang
            if not hang and self._listener is not None:
                _close(self._listener)
                self._listener = None
            self._drop_all()

    def restore(self) -> None:
        with self._lock:
            self._hang = False
            self._trigger = None
            if self._timer is not None:
                self._timer.cancel()  # a cut still to come from cut_when_sent
            for link in [link for link in self._links if link.frozen]:
                link.close()  # its answer is lost for good
                self._links.remove(link)
            for sock in self._held:
                _close(sock)
            self._held.clear()
            if self._listener is None:
                self._listen()

    def cut_when_sent(
        self, marker: bytes, *, after_forwarding: float | None = None, once_sent: bytes = b""
    ) -> None:
        """Cut (refusing new connections) when the app sends `marker` to the database, on a
        connection that has already sent `once_sent`.

        By default the marker never reaches the database. With `after_forwarding` it does, and
        the cut comes that many seconds later: the database acts on it but its answer is lost.
        """
        with self._lock:
            self._trigger = (marker, after_forwarding, once_sent)

    def stop(self) -> None:
        self._stopped = True
        if self._timer is not None:
            self._timer.cancel()
        with self._lock:
            if self._listener is not None:
                _close(self._listener)
                self._listener = None
            self._drop_all()
            for sock in self._held:
                _close(sock)
            self._held.clear()

    # --- Workings ---------------------------------------------------------------------------

    def _listen(self) -> None:
        listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        deadline = time.monotonic() + 5
        while True:  # the port we had may still be closing: try it again for a moment
            try:
                listener.bind((self.host, self.port))
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.05)
        listener.listen(64)
        self.port = listener.getsockname()[1]
        self._listener = listener
        threading.Thread(target=self._accept_loop, args=(listener,), daemon=True).start()

    def _accept_loop(self, listener: socket.socket) -> None:
        while not self._stopped:
            try:
                client, _address = listener.accept()
            except OSError:
                return  # the listener was closed: refusing connections now
            with self._lock:
                self.accepted += 1
                if self._hang:
                    self._held.append(client)
                    continue
            try:
                upstream = socket.create_connection(self.target, timeout=5)
                upstream.settimeout(None)
            except OSError:
                _close(client)
                continue
            link = _Link(client, upstream)
            with self._lock:
                self._links.append(link)
            threading.Thread(target=self._to_database, args=(link,), daemon=True).start()
            threading.Thread(target=self._to_app, args=(link,), daemon=True).start()

    def _to_database(self, link: "_Link") -> None:
        tail = b""
        while data := _receive(link.client):
            trigger = self._trigger
            seen = tail + data
            if trigger is not None and trigger[2] and trigger[2] in seen:
                link.armed = True
            if trigger is not None and (link.armed or not trigger[2]) and trigger[0] in seen:
                _marker, after, _once_sent = trigger
                self._trigger = None
                if after is None:
                    self.cut()
                    return
                link.frozen = True  # the database's answer never reaches the app
                _send(link.upstream, data)
                self._timer = threading.Timer(after, self.cut)
                self._timer.start()
                return
            if trigger is not None:
                tail = seen[-max(len(trigger[0]), len(trigger[2])) :]
            if not _send(link.upstream, data):
                break
        link.close()

    def _to_app(self, link: "_Link") -> None:
        while data := _receive(link.upstream):
            if link.frozen:
                continue
            if not _send(link.client, data):
                break
        if not link.frozen:
            link.close()

    def _drop_all(self) -> None:
        for link in self._links:
            link.close()
        self._links.clear()


class _Link:
    """One connection from the app and its connection on to the database."""

    def __init__(self, client: socket.socket, upstream: socket.socket):
        self.client = client
        self.upstream = upstream
        self.frozen = False
        self.armed = False

    def close(self) -> None:
        _close(self.client)
        _close(self.upstream)


def _receive(sock: socket.socket) -> bytes:
    try:
        return sock.recv(CHUNK)
    except OSError:
        return b""


def _send(sock: socket.socket, data: bytes) -> bool:
    try:
        sock.sendall(data)
    except OSError:
        return False
    return True
