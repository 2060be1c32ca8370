"""A real uvicorn server on a free 127.0.0.1 port, in a thread, for one test module.

Why a real server rather than Starlette's TestClient: TestClient needs httpx/httpx2, which is not
installed here; a real server also exercises exactly what `make portal` runs (cookies, headers,
raw paths as a browser or an attacker would send them).
"""

from __future__ import annotations

import http.client
import re
import socket
import threading
import time
from contextlib import contextmanager
from dataclasses import dataclass

import requests
import uvicorn


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class RunningServer:
    host: str
    port: int

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def raw_get(self, raw_path: str, cookie: str | None = None) -> tuple[int, str, dict]:
        """GET with the path sent byte for byte (no client-side normalisation of '..' or '%2f')."""
        connection = http.client.HTTPConnection(self.host, self.port, timeout=10)
        headers = {"Cookie": cookie} if cookie else {}
        connection.request("GET", raw_path, headers=headers)
        response = connection.getresponse()
        body = response.read().decode("utf-8", "replace")
        result = response.status, body, {k.lower(): v for k, v in response.getheaders()}
        connection.close()
        return result


@contextmanager
def serve(app):
    port = free_port()
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="off")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.time() + 15
    while not server.started:
        if time.time() > deadline or not thread.is_alive():
            raise RuntimeError("le serveur de test n'a pas démarré")
        time.sleep(0.02)
    try:
        yield RunningServer("127.0.0.1", port)
    finally:
        server.should_exit = True
        thread.join(timeout=10)


CSRF_RE = re.compile(r'name="csrf_token" value="([^"]+)"')


def csrf_from(html: str) -> str:
    match = CSRF_RE.search(html)
    assert match, "no CSRF token in the page"
    return match.group(1)


def login(base_url: str, email: str, password: str) -> requests.Session:
    """A logged-in HTTP session (asserts that the login succeeded)."""
    session = requests.Session()
    page = session.get(f"{base_url}/connexion")
    response = session.post(
        f"{base_url}/connexion",
        data={"email": email, "password": password, "csrf_token": csrf_from(page.text), "suivant": "/"},
        allow_redirects=False,
    )
    assert response.status_code == 303, (response.status_code, response.text[:500])
    return session
