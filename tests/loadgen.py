"""A bounded load for the deploy tests: clients fetching pages, then what each page references."""

from __future__ import annotations

import http.client
import re
import threading
import time
from dataclasses import dataclass, field

_TAG = re.compile(r"<(?:link|script|img|source)\b[^>]*>")
_URL = re.compile(r'\s(?:href|src)="(?:https://thanhtra\.gov\.vn)?(/[^"#?]*)"')


@dataclass
class Tally:
    """What the load did: every request counted, every failure kept."""

    requests: int = 0
    failures: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, path: str, status: int | str) -> None:
        with self.lock:
            self.requests += 1
            if not isinstance(status, int) or status >= 400:
                self.failures.append(f"{status} {path}")


def references(html: str) -> list[str]:
    """Same-site subresources a page names (stylesheets, scripts, images, icons)."""
    return [m.group(1) for tag in _TAG.findall(html) if (m := _URL.search(tag))]


class Client:
    """One keep-alive connection; a request on a connection the server just closed is sent again
    once on a new one, as browsers do for GET."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.connection: http.client.HTTPConnection | None = None

    def close(self) -> None:
        if self.connection is not None:
            self.connection.close()

    def get(self, path: str, encoding: str) -> tuple[int, bytes]:
        for attempt in (1, 2):
            reused = self.connection is not None
            if self.connection is None:
                self.connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
            try:
                self.connection.request("GET", path, headers={"Accept-Encoding": encoding})
                response = self.connection.getresponse()
                return response.status, response.read()
            except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError):
                self.connection.close()
                self.connection = None
                if not reused or attempt == 2:
                    raise
        raise AssertionError("unreachable")


def run_load(port: int, pages: list[str], seconds: float, clients: int = 30) -> Tally:
    """Run ``clients`` threads for ``seconds``; each fetches a page then every asset it names."""
    tally = Tally()
    stop = time.monotonic() + seconds

    def client(number: int) -> None:
        browser = Client(port)
        try:
            fetch_until_stop(browser, number)
        finally:
            browser.close()

    def fetch_until_stop(browser: Client, turn: int) -> None:
        while time.monotonic() < stop:
            page = pages[turn % len(pages)]
            turn += 1
            try:
                status, body = browser.get(page, "identity")
            except OSError as exc:
                tally.add(page, type(exc).__name__)
                continue
            tally.add(page, status)
            if status == 200 and (page.endswith("/") or page.endswith(".html")):
                for asset in references(body.decode("utf-8", "replace")):
                    try:
                        tally.add(asset, browser.get(asset, "gzip, br")[0])
                    except OSError as exc:
                        tally.add(asset, type(exc).__name__)

    threads = [threading.Thread(target=client, args=(n,)) for n in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return tally
