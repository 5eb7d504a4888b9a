"""The app as it runs in production (gunicorn, production settings) in its own processes,
reaching PostgreSQL through a TcpProxy the tests can cut, and a browser-like client for it."""

import contextlib
import html
import os
import re
import secrets
import subprocess
import sys
import time
import urllib.parse
from dataclasses import dataclass, field
from http.client import HTTPConnection
from http.cookies import SimpleCookie
from pathlib import Path

from tests.integration.tcp_proxy import TcpProxy

ROOT = Path(__file__).resolve().parents[2]
LOG_DIR = ROOT / "test-artifacts"
TEST_REDIS_URL = "redis://127.0.0.1:6379/14"
# The production default (resettle/settings.py): a request waits this long for a new database
# connection before it gives up.
CONNECT_TIMEOUT = 5


@dataclass
class AppServer:
    port: int
    proxy: TcpProxy
    process: subprocess.Popen
    log_path: Path

    def worker_pids(self) -> set[int]:
        found = subprocess.run(
            ["pgrep", "-P", str(self.process.pid)], capture_output=True, text=True, check=False
        )
        return {int(pid) for pid in found.stdout.split()}

    def log(self) -> str:
        return self.log_path.read_text()


def start_app_server(database_name: str, log_name: str, workers: int = 2) -> AppServer:
    from tests.integration.conftest import free_port

    proxy = TcpProxy(("127.0.0.1", 5432)).start()
    port = free_port()
    # Only what a production container is given: nothing from the test run's settings.
    env = {name: os.environ[name] for name in ("PATH", "HOME", "LANG") if name in os.environ}
    env |= {
        "RESETTLE_ENV": "production",
        "DJANGO_SETTINGS_MODULE": "tests.integration.server_settings",
        "SECRET_KEY": secrets.token_urlsafe(64),
        # No TLS to the database here, so the proxy can see which statement is on its way.
        "DATABASE_URL": (
            f"postgres://postgres@127.0.0.1:{proxy.port}/{database_name}?sslmode=disable"
        ),
        "REDIS_URL": TEST_REDIS_URL,
        "ALLOWED_HOSTS": "127.0.0.1",
        "PRIVATE_STORAGE_ROOT": str(LOG_DIR / "private"),
        "LOG_LEVEL": "INFO",
    }
    LOG_DIR.mkdir(exist_ok=True)
    log_path = LOG_DIR / log_name
    log = log_path.open("w")
    process = subprocess.Popen(
        [
            sys.executable, "-m", "gunicorn", "resettle.wsgi:application",
            "--bind", f"127.0.0.1:{port}", "--workers", str(workers),
            "--timeout", "30", "--graceful-timeout", "5", "--no-control-socket",
        ],
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
    )  # fmt: skip
    log.close()
    server = AppServer(port=port, proxy=proxy, process=process, log_path=log_path)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            proxy.stop()
            raise RuntimeError(f"gunicorn exited early:\n{server.log()}")
        with contextlib.suppress(OSError):
            answered = Browser(port).get("/healthz", timeout=5).status in (200, 503)
            if answered and len(server.worker_pids()) == workers:
                return server
        time.sleep(0.2)
    stop_app_server(server)
    raise RuntimeError(f"gunicorn did not start:\n{server.log()}")


def stop_app_server(server: AppServer) -> None:
    server.process.terminate()
    try:
        server.process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        server.process.kill()
        server.process.wait()
    server.proxy.stop()


@dataclass
class Page:
    status: int
    headers: dict
    body: str
    took: float
    location: str = ""

    def csrf_token(self) -> str:
        found = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', self.body)
        assert found, "no form on the page"
        return found.group(1)


@dataclass
class Browser:
    """Keeps cookies (Secure ones too: TLS ends at the proxy in front, as in production)."""

    port: int
    cookies: dict = field(default_factory=dict)
    csrf: str = ""

    @property
    def origin(self) -> str:
        return f"https://127.0.0.1:{self.port}"

    def get(self, path: str, *, timeout: float = 30) -> Page:
        return self._request("GET", path, None, timeout)

    def post(self, path: str, data: dict, *, timeout: float = 30) -> Page:
        fields = {"csrfmiddlewaretoken": self.csrf, **data}
        return self._request("POST", path, urllib.parse.urlencode(fields, doseq=True), timeout)

    def open_form(self, path: str) -> Page:
        page = self.get(path)
        assert page.status == 200, (path, page.status)
        self.csrf = page.csrf_token()
        return page

    def follow(self, page: Page) -> Page:
        while page.status == 302:
            page = self.get(page.location)
        return page

    def sign_in(self, email: str, password: str, code_now) -> Page:
        """Password first; then every page sends them to enter their authenticator's code."""
        self.open_form("/accounts/sign-in/")
        signed_in = self.post("/accounts/sign-in/", {"username": email, "password": password})
        assert signed_in.status == 302, signed_in.body[:2000]
        home = self.get(signed_in.location)
        assert home.status == 302 and home.location.startswith("/accounts/two-factor/")
        self.open_form(home.location)
        verified = self.post(home.location, {"code": code_now()})
        assert verified.status == 302, verified.body[:2000]
        return self.follow(verified)

    def _request(self, method: str, path: str, body: str | None, timeout: float) -> Page:
        headers = {"X-Forwarded-Proto": "https"}
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        if body is not None:
            headers["Content-Type"] = "application/x-www-form-urlencoded"
            headers["Origin"] = self.origin
        connection = HTTPConnection("127.0.0.1", self.port, timeout=timeout)
        began = time.monotonic()
        try:
            connection.request(method, path, body=body, headers=headers)
            response = connection.getresponse()
            text = response.read().decode()
        finally:
            connection.close()
        took = time.monotonic() - began
        for header in response.headers.get_all("Set-Cookie") or []:
            for name, morsel in SimpleCookie(header).items():
                if morsel["max-age"] == "0" or not morsel.value:
                    self.cookies.pop(name, None)
                else:
                    self.cookies[name] = morsel.value
        location = response.headers.get("Location", "")
        location = urllib.parse.urlsplit(location)._replace(scheme="", netloc="").geturl()
        return Page(response.status, dict(response.headers), text, took, location)


def unescaped(page: Page) -> str:
    return html.unescape(page.body)
