"""How sync messages travel: HTTP(S) to the hub. (USB bundles are in sync/bundle.py.)

Every kind of network trouble becomes one SyncError: no route, a timeout, a reset, and a reply cut short
or not HTTP at all (http.client's IncompleteRead, BadStatusLine, RemoteDisconnected), while sending or
while reading the body."""
import http.client
import urllib.error
import urllib.request
from dataclasses import dataclass

from server.errors import SyncError


NETWORK_TROUBLE = (urllib.error.URLError, OSError, TimeoutError, http.client.HTTPException)


def unreachable(err: BaseException) -> SyncError:
    """The one sentence for network trouble, with what went wrong in brackets."""
    reason = getattr(err, "reason", None) or type(err).__name__
    return SyncError(f"The hub cannot be reached ({reason}).")


@dataclass(frozen=True)
class Reply:
    status: int
    body: bytes


class HttpTransport:
    """POSTs to a hub over HTTP(S) with a timeout; network trouble becomes SyncError."""

    def __init__(self, base_url: str, timeout: float = 30.0):
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout

    def post(self, path: str, body: bytes, headers: dict[str, str]) -> Reply:
        """Send one request; any HTTP status comes back as a Reply."""
        request = urllib.request.Request(self.base_url + path, data=body, method="POST",
                                         headers={"Content-Type": "application/json",
                                                  "Content-Encoding": "gzip", **headers})
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:
                return Reply(response.status, response.read())
        except urllib.error.HTTPError as err:
            return Reply(err.code, err.read())
        except NETWORK_TROUBLE as err:
            raise unreachable(err) from None

    def open(self, path: str, headers: dict[str, str]):
        """GET a file (for Range downloads): a context manager whose value has `status` and `read(n)`."""
        return _Download(urllib.request.Request(self.base_url + path, method="GET", headers=headers), self.timeout)


class _Download:
    """An open GET response; HTTP error statuses come back as a status, network trouble as SyncError."""

    def __init__(self, request, timeout: float):
        self.request, self.timeout, self.response = request, timeout, None

    def __enter__(self):
        try:
            self.response = urllib.request.urlopen(self.request, timeout=self.timeout)
        except urllib.error.HTTPError as err:
            self.response = err
        except NETWORK_TROUBLE as err:
            raise unreachable(err) from None
        return self

    @property
    def status(self) -> int:
        return getattr(self.response, "status", None) or self.response.code

    def read(self, size: int) -> bytes:
        try:
            return self.response.read(size)
        except NETWORK_TROUBLE as err:
            raise unreachable(err) from None

    def __exit__(self, *exc) -> None:
        self.response.close()
