"""The load generator's HTTP client (standard library only).

One HTTP/1.1 connection per client, re-opened when the server closes it, with
a cookie jar of its own; it logs in like a browser (GET the form for the CSRF
cookie, POST it with the token and an Origin header). The benchmark driver
and tests/deploy use it too, through bench/load.py.
"""

from __future__ import annotations

import http.client
import time
import urllib.parse
from dataclasses import dataclass
from http.cookies import SimpleCookie

DEFAULT_TIMEOUT = 30.0


@dataclass
class Response:
    status: int
    headers: list[tuple[str, str]]
    body: bytes
    seconds: float

    def header(self, name: str) -> str | None:
        name = name.lower()
        for key, value in self.headers:
            if key.lower() == name:
                return value
        return None


class Client:
    """One HTTP/1.1 connection (re-opened when the server closes it) with a cookie jar."""

    def __init__(self, host: str, port: int, timeout: float = DEFAULT_TIMEOUT, forwarded_for: str | None = None):
        self.host, self.port, self.timeout = host, port, timeout
        self.cookies: dict[str, str] = {}
        self.forwarded_for = forwarded_for
        self._conn: http.client.HTTPConnection | None = None

    @property
    def origin(self) -> str:
        return f"http://{self.host}:{self.port}"

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None

    def request(self, method: str, path: str, *, data: dict | None = None, headers: dict | None = None) -> Response:
        body = urllib.parse.urlencode(data, doseq=True).encode() if data is not None else None
        hdrs = {"Host": f"{self.host}:{self.port}", "User-Agent": "annotations-bench/1", "Accept-Encoding": "identity"}
        if self.cookies:
            hdrs["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        if body is not None:
            hdrs["Content-Type"] = "application/x-www-form-urlencoded"
            hdrs["Origin"] = self.origin
            hdrs["Referer"] = self.origin + path
        if self.forwarded_for:
            hdrs["X-Forwarded-For"] = self.forwarded_for
        hdrs.update(headers or {})
        for _attempt in (1, 2):
            reused = self._conn is not None
            if not reused:
                self._conn = http.client.HTTPConnection(self.host, self.port, timeout=self.timeout)
            started = time.perf_counter()
            try:
                self._conn.request(method, path, body=body, headers=hdrs)
                resp = self._conn.getresponse()
                payload = resp.read()
            except (http.client.RemoteDisconnected, BrokenPipeError, ConnectionResetError):
                # only a kept-alive connection the server had already closed is retried (on a new one)
                self.close()
                if not reused:
                    raise
                continue
            except Exception:
                self.close()
                raise
            break
        elapsed = time.perf_counter() - started
        headers_list = resp.getheaders()
        for value in resp.msg.get_all("Set-Cookie") or []:
            jar = SimpleCookie()
            jar.load(value)
            for name, morsel in jar.items():
                if morsel["max-age"] == "0" or not morsel.value:
                    self.cookies.pop(name, None)
                else:
                    self.cookies[name] = morsel.value
        if resp.will_close:
            self.close()
        return Response(resp.status, headers_list, payload, elapsed)

    def get(self, path: str, **kw) -> Response:
        return self.request("GET", path, **kw)

    def post(self, path: str, data: dict, **kw) -> Response:
        data = {"csrfmiddlewaretoken": self.csrf_token(), **data}
        return self.request("POST", path, data=data, **kw)

    def csrf_token(self) -> str:
        return self.cookies.get("csrftoken", "")

    def login(self, path: str, username: str, password: str, next_url: str = "/") -> None:
        """Log in through a Django login form; raises RuntimeError when it fails."""
        form = self.get(f"{path}?next={urllib.parse.quote(next_url)}")
        if form.status != 200 or not self.csrf_token():
            raise RuntimeError(f"GET {path}: {form.status}, no CSRF cookie")
        done = self.post(path, {"username": username, "password": password, "next": next_url})
        if done.status != 302 or "sessionid" not in self.cookies:
            raise RuntimeError(f"login of {username} through {path} failed: {done.status}")
