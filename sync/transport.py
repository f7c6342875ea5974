"""How sync messages travel: HTTP(S) to the hub. (USB bundles are in sync/bundle.py.)"""
import urllib.error
import urllib.request
from dataclasses import dataclass

from server.errors import SyncError


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
        except (urllib.error.URLError, OSError, TimeoutError) as err:
            raise SyncError(f"The hub cannot be reached ({getattr(err, 'reason', err)}).") from None
