#!/usr/bin/env python3
"""browsercheck.py - loads every page of the book in a headless Chromium and
fails if any page logs a console error, throws, or fails to load a resource.

    python3 book/tools/browsercheck.py PAGE.html...
    python3 book/tools/browsercheck.py --screenshot DIR PAGE.html...

One browser runs for all pages. It is driven through the DevTools protocol
over a pipe (--remote-debugging-pipe: JSON messages ending in a NUL byte on
file descriptors 3 and 4), so no port is opened and nothing beyond the
Python standard library is needed. Chromium starts with a fresh profile in
a temporary folder, loads only file:// URLs, and must not reach the
network: a request for anything but a file: or data: URL fails the page
("external resource").

For each page, at a desktop width and again at a phone's (390 px, dark
colour scheme), it reports:
  - console messages of level error and uncaught exceptions;
  - failed loads (Network.loadingFailed, the browser's own log);
  - images that did not decode (naturalWidth 0);
  - a page wider than the phone's screen (something does not wrap or
    scroll on its own).

--screenshot DIR also saves a PNG of each page at both sizes, to look at.
Exit status: 0 if every page is clean, 1 if not, 2 if chromium is missing.
"""
import base64
import json
import os
import select
import shutil
import subprocess
import sys
import tempfile
import time

FLAGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
    "--no-first-run", "--disable-background-networking",
    "--disable-component-update", "--disable-sync",
    "--disable-default-apps", "--disable-extensions", "--mute-audio",
    "--hide-scrollbars", "--remote-debugging-pipe",
    "--disable-dev-shm-usage",  # containers often have a tiny /dev/shm
    # No name resolves: a page that asks for a remote resource fails
    # here without a packet leaving the machine.
    "--host-resolver-rules=MAP * ~NOTFOUND",
]
# And requests for such resources are blocked before they start.
BLOCKED = ["http://*", "https://*", "ws://*", "wss://*", "ftp://*"]
PAGE_TIMEOUT = 30.0
SIZES = [("desktop", 1280, 900, False, "light"), ("phone", 390, 844, True, "dark")]


def find_chromium():
    for name in ("chromium", "chromium-browser", "google-chrome"):
        path = shutil.which(name)
        if path:
            return path
    return None


class Browser:
    """A headless Chromium and its DevTools pipe."""

    def __init__(self, exe, profile):
        to_chrome_r, self.to_chrome = os.pipe()
        self.from_chrome, from_chrome_w = os.pipe()

        def child_fds():
            # Copies first: a pipe may itself be fd 3 or 4.
            r, w = os.dup(to_chrome_r), os.dup(from_chrome_w)
            os.dup2(r, 3)
            os.dup2(w, 4)

        self.log = open(os.path.join(profile, "chromium.log"), "w+")
        self.proc = subprocess.Popen(
            [exe] + FLAGS + ["--user-data-dir=" + profile, "about:blank"],
            stdin=subprocess.DEVNULL, stdout=self.log, stderr=self.log,
            preexec_fn=child_fds, close_fds=False)
        os.close(to_chrome_r)
        os.close(from_chrome_w)
        self.buf = b""
        self.next_id = 0
        self.events = []

    def send(self, method, params=None, session=None):
        self.next_id += 1
        msg = {"id": self.next_id, "method": method, "params": params or {}}
        if session:
            msg["sessionId"] = session
        os.write(self.to_chrome, json.dumps(msg).encode() + b"\0")
        return self.next_id

    def read(self, timeout):
        """The next message, or None after timeout seconds."""
        end = time.time() + timeout
        while b"\0" not in self.buf:
            left = end - time.time()
            if left <= 0:
                return None
            ready, _, _ = select.select([self.from_chrome], [], [], left)
            if not ready:
                return None
            chunk = os.read(self.from_chrome, 1 << 20)
            if not chunk:
                raise RuntimeError("chromium closed its DevTools pipe (it crashed?)")
            self.buf += chunk
        raw, self.buf = self.buf.split(b"\0", 1)
        return json.loads(raw)

    def call(self, method, params=None, session=None, timeout=PAGE_TIMEOUT):
        """Sends a command and waits for its answer; events seen meanwhile
        are kept in self.events."""
        want = self.send(method, params, session)
        end = time.time() + timeout
        while time.time() < end:
            msg = self.read(end - time.time())
            if msg is None:
                break
            if msg.get("id") == want:
                if "error" in msg:
                    raise RuntimeError("%s: %s" % (method, msg["error"].get("message")))
                return msg.get("result", {})
            if "method" in msg:
                self.events.append(msg)
        raise RuntimeError("%s: no answer within %.0f s" % (method, timeout))

    def wait_event(self, method, session, timeout=PAGE_TIMEOUT):
        end = time.time() + timeout
        for i, ev in enumerate(self.events):
            if ev.get("method") == method and ev.get("sessionId") == session:
                return ev
        while time.time() < end:
            msg = self.read(end - time.time())
            if msg is None:
                break
            if "method" in msg:
                self.events.append(msg)
                if msg["method"] == method and msg.get("sessionId") == session:
                    return msg
        return None

    def drain(self, seconds):
        end = time.time() + seconds
        while True:
            msg = self.read(max(0.0, end - time.time()))
            if msg is None:
                return
            if "method" in msg:
                self.events.append(msg)

    def close(self):
        try:
            self.send("Browser.close")
            self.proc.wait(timeout=10)
        except Exception:
            self.proc.kill()
            self.proc.wait()
        self.log.close()


CHECK_JS = r"""
(() => {
  const broken = Array.from(document.images)
      .filter(i => !i.complete || i.naturalWidth === 0)
      .map(i => i.getAttribute('src'));
  const de = document.documentElement;
  return JSON.stringify({
    broken,
    scrollWidth: de.scrollWidth,
    clientWidth: de.clientWidth,
    textLength: document.body ? document.body.innerText.length : 0,
  });
})()
"""


def problems_in(events, session, url):
    """What went wrong on this page, from the events of its session."""
    found = []
    requests = {}
    for ev in events:
        if ev.get("sessionId") != session:
            continue
        m, p = ev["method"], ev.get("params", {})
        if m == "Network.requestWillBeSent":
            u = p["request"]["url"]
            requests[p["requestId"]] = u
            if not (u.startswith("file:") or u.startswith("data:") or u.startswith("about:")):
                found.append("external resource requested: " + u)
        elif m == "Network.loadingFailed":
            found.append("failed to load %s (%s)" % (
                requests.get(p["requestId"], "?"), p.get("errorText") or p.get("blockedReason", "")))
        elif m == "Runtime.consoleAPICalled" and p.get("type") in ("error", "assert"):
            text = " ".join(str(a.get("value", a.get("description", ""))) for a in p.get("args", []))
            found.append("console %s: %s" % (p["type"], text))
        elif m == "Runtime.exceptionThrown":
            d = p.get("exceptionDetails", {})
            found.append("uncaught exception: %s" % (
                d.get("exception", {}).get("description") or d.get("text")))
        elif m == "Log.entryAdded" and p["entry"].get("level") == "error":
            e = p["entry"]
            if e.get("source") == "network" and any(e.get("url", "?") in f for f in found):
                continue  # the failed load is reported already
            found.append("console error (%s): %s%s" % (
                e.get("source"), e.get("text"), (" " + e["url"]) if e.get("url") else ""))
    # The same failure is often reported twice (network and log).
    seen, unique = set(), []
    for f in found:
        if f not in seen:
            seen.add(f)
            unique.append(f)
    return unique


def check_page(b, session, path, shots):
    url = "file://" + os.path.abspath(path)
    results = []
    for label, width, height, mobile, scheme in SIZES:
        b.call("Emulation.setDeviceMetricsOverride", {
            "width": width, "height": height, "deviceScaleFactor": 1, "mobile": mobile},
            session)
        b.call("Emulation.setEmulatedMedia", {
            "features": [{"name": "prefers-color-scheme", "value": scheme}]}, session)
        b.events = [e for e in b.events if e.get("sessionId") != session]
        b.call("Page.navigate", {"url": url}, session)
        if b.wait_event("Page.loadEventFired", session) is None:
            results.append("%s: the page did not finish loading within %.0f s" % (label, PAGE_TIMEOUT))
            continue
        b.drain(0.3)  # late console messages and image decoding
        r = b.call("Runtime.evaluate", {"expression": CHECK_JS, "returnByValue": True}, session)
        info = json.loads(r["result"]["value"])
        found = problems_in(b.events, session, url)
        for src in info["broken"]:
            found.append("image did not load or decode: " + str(src))
        if info["textLength"] == 0:
            found.append("the page shows no text")
        if mobile and info["scrollWidth"] > info["clientWidth"] + 1:
            found.append("wider than a %d px phone screen (%d px): something neither wraps "
                         "nor scrolls on its own" % (width, info["scrollWidth"]))
        results.extend("%s: %s" % (label, f) for f in found)
        if shots:
            shot = b.call("Page.captureScreenshot", {"format": "png", "captureBeyondViewport": True,
                          "clip": {"x": 0, "y": 0, "width": width,
                                   "height": min(4000, max(height, 1)), "scale": 1}}, session)
            name = os.path.basename(path).replace(".html", "") + "-" + label + ".png"
            with open(os.path.join(shots, name), "wb") as f:
                f.write(base64.b64decode(shot["data"]))
    return results


def main(argv):
    shots = None
    if len(argv) > 1 and argv[0] == "--screenshot":
        shots = argv[1]
        os.makedirs(shots, exist_ok=True)
        argv = argv[2:]
    pages = argv
    exe = find_chromium()
    if not exe:
        print("SKIPPED: chromium not installed, pages were not loaded in a browser")
        return 2
    profile = tempfile.mkdtemp(prefix="book-chromium-")
    b = Browser(exe, profile)
    bad = 0
    try:
        target = b.call("Target.createTarget", {"url": "about:blank"})["targetId"]
        session = b.call("Target.attachToTarget", {"targetId": target, "flatten": True})["sessionId"]
        for domain in ("Page", "Runtime", "Log", "Network"):
            b.call(domain + ".enable", {}, session)
        b.call("Network.setBlockedURLs", {"urls": BLOCKED}, session)
        for path in pages:
            found = check_page(b, session, path, shots)
            if found:
                bad += 1
                print("FAIL %s" % path)
                for f in found:
                    print("     " + f)
    except (RuntimeError, OSError) as e:
        print("browsercheck: %s" % e)
        b.log.seek(0)
        sys.stdout.write(b.log.read()[-3000:])
        bad += 1
    finally:
        b.close()
        shutil.rmtree(profile, ignore_errors=True)
    print("chromium (%s, headless): %d of %d pages loaded without errors, at desktop "
          "and phone sizes" % (os.path.basename(exe), len(pages) - bad, len(pages)))
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
