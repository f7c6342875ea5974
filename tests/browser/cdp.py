"""Headless Chromium driven over the Chrome DevTools Protocol, with no dependency beyond Python.

Chromium is started with `--remote-debugging-pipe`: it reads CDP commands on file descriptor 3 and
writes replies and events on descriptor 4, one JSON message per NUL-terminated chunk. So there is
no debugging port, no websocket library and nothing listening on the network. Every wait is bounded
by a timeout, and `close()` (or leaving the `with` block) always ends the browser.
"""
import fcntl
import json
import os
import queue
import shutil
import subprocess
import tempfile
import threading
import time
from pathlib import Path

# Headless on a machine with no display, run as root, with no network beyond loopback.
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--disable-dev-shm-usage", "--disable-extensions", "--no-default-browser-check",
         "--mute-audio", "--hide-scrollbars", "--window-size=360,740", "--remote-debugging-pipe"]


class BrowserError(RuntimeError):
    """Chromium answered a command with an error, did not answer in time, or exited."""


def find_chromium() -> str | None:
    """The Chromium binary: Debian's real executable (not its shell launcher) or one on PATH."""
    for candidate in ("/usr/lib/chromium/chromium", shutil.which("chromium"),
                      shutil.which("chromium-browser"), shutil.which("google-chrome")):
        if candidate and os.access(candidate, os.X_OK):
            return candidate
    return None


class Chromium:
    """One headless Chromium process; `page()` opens a tab in a fresh, cookie-isolated context."""

    def __init__(self, binary: str, timeout: float = 30.0, extra_flags: tuple[str, ...] = ()):
        self.timeout = timeout
        self.profile = tempfile.mkdtemp(prefix="lantern-chromium-")
        to_child_r, self._to_child = os.pipe()
        self._from_child, from_child_w = os.pipe()
        # Move the child's ends above 4 so that placing them on 3 and 4 cannot clobber each other.
        high_r = fcntl.fcntl(to_child_r, fcntl.F_DUPFD_CLOEXEC, 10)
        high_w = fcntl.fcntl(from_child_w, fcntl.F_DUPFD_CLOEXEC, 10)
        os.close(to_child_r)
        os.close(from_child_w)

        def _place_pipes():  # runs in the child between fork and exec
            os.dup2(high_r, 3)
            os.dup2(high_w, 4)

        try:
            self.process = subprocess.Popen(
                [binary, *FLAGS, *extra_flags, f"--user-data-dir={self.profile}", "about:blank"],
                stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                close_fds=False, preexec_fn=_place_pipes)
        finally:
            os.close(high_r)
            os.close(high_w)
        self._next_id = 0
        self._lock = threading.Lock()
        self._replies: dict[int, queue.Queue] = {}
        self._events: dict[str | None, queue.Queue] = {}
        self._reader = threading.Thread(target=self._read, name="chromium-cdp", daemon=True)
        self._reader.start()
        try:
            self.version = self.send("Browser.getVersion")["product"]
        except BaseException:
            self.close()
            raise

    # -- the wire -------------------------------------------------------------------------------
    def _read(self) -> None:
        buffer = b""
        while True:
            try:
                chunk = os.read(self._from_child, 1 << 16)
            except OSError:
                chunk = b""
            if not chunk:
                break
            buffer += chunk
            *messages, buffer = buffer.split(b"\0")
            for raw in messages:
                self._dispatch(json.loads(raw))
        for waiting in list(self._replies.values()):
            waiting.put({"error": {"message": "Chromium exited"}})

    def _dispatch(self, message: dict) -> None:
        if "id" in message:
            with self._lock:
                waiting = self._replies.pop(message["id"], None)
            if waiting is not None:
                waiting.put(message)
        else:
            self._event_queue(message.get("sessionId")).put(message)

    def _event_queue(self, session_id: str | None) -> queue.Queue:
        with self._lock:
            return self._events.setdefault(session_id, queue.Queue())

    def send(self, method: str, params: dict | None = None, session_id: str | None = None,
             timeout: float | None = None) -> dict:
        """Send one command and wait (bounded) for its reply's result."""
        reply = queue.Queue(maxsize=1)
        with self._lock:
            self._next_id += 1
            message = {"id": self._next_id, "method": method, "params": params or {}}
            if session_id:
                message["sessionId"] = session_id
            self._replies[self._next_id] = reply
            data = json.dumps(message).encode() + b"\0"
            try:
                while data:
                    data = data[os.write(self._to_child, data):]
            except OSError as err:
                raise BrowserError(f"{method}: Chromium is gone ({err})") from err
        try:
            answer = reply.get(timeout=timeout or self.timeout)
        except queue.Empty:
            raise BrowserError(f"{method}: no answer from Chromium in {timeout or self.timeout} s") from None
        if "error" in answer:
            raise BrowserError(f"{method}: {answer['error'].get('message')} {answer['error'].get('data', '')}")
        return answer.get("result", {})

    def wait_for_event(self, method: str, session_id: str | None, timeout: float | None = None) -> dict:
        """Wait (bounded) for the next event named `method` on a session; other events are dropped."""
        events = self._event_queue(session_id)
        deadline = time.monotonic() + (timeout or self.timeout)
        while (left := deadline - time.monotonic()) > 0:
            try:
                event = events.get(timeout=left)
            except queue.Empty:
                break
            if event["method"] == method:
                return event.get("params", {})
        raise BrowserError(f"no {method} from Chromium in {timeout or self.timeout} s")

    def drain_events(self, session_id: str | None) -> None:
        """Forget the events received so far on a session."""
        events = self._event_queue(session_id)
        while not events.empty():
            events.get_nowait()

    # -- pages ----------------------------------------------------------------------------------
    def page(self, javascript: bool = True) -> "Page":
        """A new tab in its own browser context (its own cookies), optionally with scripts off."""
        context = self.send("Target.createBrowserContext", {"disposeOnDetach": True})["browserContextId"]
        target = self.send("Target.createTarget", {"url": "about:blank", "browserContextId": context})["targetId"]
        session = self.send("Target.attachToTarget", {"targetId": target, "flatten": True})["sessionId"]
        page = Page(self, session, target, context)
        page.command("Page.enable")
        page.command("DOM.enable")
        page.command("Runtime.enable")
        if not javascript:
            page.command("Emulation.setScriptExecutionDisabled", {"value": True})
        return page

    def close(self) -> None:
        """End Chromium (politely, then by force) and remove its profile folder."""
        try:
            if self.process.poll() is None:
                try:
                    self.send("Browser.close", timeout=5)
                except BrowserError:
                    pass
                try:
                    self.process.wait(timeout=5)
                except subprocess.TimeoutExpired:
                    self.process.kill()
                    self.process.wait(timeout=5)
        finally:
            for fd in (self._to_child, self._from_child):
                try:
                    os.close(fd)
                except OSError:
                    pass
            shutil.rmtree(self.profile, ignore_errors=True)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


class Page:
    """One tab: navigate, read the DOM, and act as a person would (type, click)."""

    def __init__(self, browser: Chromium, session: str, target: str, context: str):
        self.browser, self.session, self.target, self.context = browser, session, target, context

    def command(self, method: str, params: dict | None = None, timeout: float | None = None) -> dict:
        """Send a command to this tab."""
        return self.browser.send(method, params, self.session, timeout)

    def goto(self, url: str) -> None:
        """Open a URL and wait for its load event."""
        self.browser.drain_events(self.session)
        answer = self.command("Page.navigate", {"url": url})
        if answer.get("errorText"):
            raise BrowserError(f"{url}: {answer['errorText']}")
        self.browser.wait_for_event("Page.loadEventFired", self.session)

    def evaluate(self, expression: str, timeout: float | None = None):
        """Run JavaScript in the page (DevTools code, outside the page's own CSP) and return its value."""
        answer = self.command("Runtime.evaluate", {"expression": expression, "awaitPromise": True,
                                                   "returnByValue": True}, timeout)
        if "exceptionDetails" in answer:
            details = answer["exceptionDetails"]
            raise BrowserError(details.get("exception", {}).get("description") or details.get("text"))
        return answer["result"].get("value")

    def emulate_phone(self, width: int = 320, height: int = 640) -> None:
        """Show pages as a small phone does (CSS pixels, touch-sized viewport, the page's viewport meta)."""
        self.command("Emulation.setDeviceMetricsOverride", {"width": width, "height": height,
                                                            "deviceScaleFactor": 2, "mobile": True})

    def url(self) -> str:
        """The address now shown."""
        history = self.command("Page.getNavigationHistory")
        return history["entries"][history["currentIndex"]]["url"]

    def html(self) -> str:
        """The document as the browser holds it (read through the DOM domain: works with scripts off)."""
        root = self.command("DOM.getDocument", {"depth": 0})["root"]["nodeId"]
        return self.command("DOM.getOuterHTML", {"nodeId": root})["outerHTML"]

    def node(self, selector: str) -> int:
        """The DOM node id of the first element matching a CSS selector (an error when none does)."""
        root = self.command("DOM.getDocument", {"depth": 0})["root"]["nodeId"]
        node = self.command("DOM.querySelector", {"nodeId": root, "selector": selector})["nodeId"]
        if not node:
            raise BrowserError(f"nothing matches {selector!r} on {self.url()}")
        return node

    def type_into(self, selector: str, text: str) -> None:
        """Focus a field and type text into it, as a keyboard would."""
        self.command("DOM.focus", {"nodeId": self.node(selector)})
        self.command("Input.insertText", {"text": text})

    def press(self, selector: str, key: str, key_code: int) -> None:
        """Focus an element and press one key on it (e.g. "ArrowDown", 40)."""
        self.command("DOM.focus", {"nodeId": self.node(selector)})
        for kind in ("keyDown", "keyUp"):
            self.command("Input.dispatchKeyEvent", {"type": kind, "key": key, "code": key,
                                                    "windowsVirtualKeyCode": key_code})

    def click(self, selector: str, navigates: bool = False) -> None:
        """Click the middle of an element with the mouse; wait for the next page when it navigates."""
        node = self.node(selector)
        self.command("DOM.scrollIntoViewIfNeeded", {"nodeId": node})
        quad = self.command("DOM.getContentQuads", {"nodeId": node})["quads"][0]
        x, y = sum(quad[0::2]) / 4, sum(quad[1::2]) / 4
        self.browser.drain_events(self.session)
        for kind in ("mousePressed", "mouseReleased"):
            self.command("Input.dispatchMouseEvent", {"type": kind, "x": x, "y": y, "button": "left",
                                                      "clickCount": 1})
        if navigates:
            self.browser.wait_for_event("Page.loadEventFired", self.session)

    def screenshot(self, path: Path) -> Path:
        """Save a PNG of the whole page (for looking at a failure)."""
        import base64

        data = self.command("Page.captureScreenshot", {"format": "png", "captureBeyondViewport": True})["data"]
        path.write_bytes(base64.b64decode(data))
        return path

    def close(self) -> None:
        """Close the tab and its browser context."""
        try:
            self.browser.send("Target.closeTarget", {"targetId": self.target}, timeout=5)
            self.browser.send("Target.disposeBrowserContext", {"browserContextId": self.context}, timeout=5)
        except BrowserError:
            pass
