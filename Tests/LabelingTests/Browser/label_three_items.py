"""Drives the labelling page in headless Chromium over the DevTools protocol (pipe transport, standard library
only): signs in with a token, then labels three items by pressing a class key, as a person would.

usage: label_three_items.py CHROMIUM URL TOKEN KEY
Prints one JSON line: the captions of the items labelled and the page's final status text.
"""
import json
import os
import subprocess
import sys
import tempfile
import time

chromium, url, token, key = sys.argv[1:5]

# Chromium reads protocol messages from fd 3 and writes to fd 4 (NUL-separated JSON).
to_browser_r, to_browser_w = os.pipe()
from_browser_r, from_browser_w = os.pipe()


def wire_fds():
    # Through fresh descriptors first: a pipe end may itself be 3 or 4, and dup2 onto itself would keep its
    # close-on-exec flag.
    read_end, write_end = os.dup(to_browser_r), os.dup(from_browser_w)
    os.dup2(read_end, 3)
    os.dup2(write_end, 4)


profile = tempfile.mkdtemp(prefix="astro-chromium-")
browser = subprocess.Popen(
    [chromium, "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run",
     "--remote-debugging-pipe", "--user-data-dir=" + profile, "about:blank"],
    preexec_fn=wire_fds, close_fds=False,
    stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
os.close(to_browser_r)
os.close(from_browser_w)
reader = os.fdopen(from_browser_r, "rb", buffering=0)
next_id = [0]
pending = b""


def read_message(deadline):
    global pending
    while b"\0" not in pending:
        if time.time() > deadline:
            raise TimeoutError("no reply from Chromium")
        chunk = reader.read(65536)
        if not chunk:
            raise EOFError("Chromium closed the pipe")
        pending += chunk
    message, pending = pending.split(b"\0", 1)
    return json.loads(message)


def send(method, params=None, session=None, timeout=30):
    next_id[0] += 1
    message = {"id": next_id[0], "method": method, "params": params or {}}
    if session:
        message["sessionId"] = session
    os.write(to_browser_w, json.dumps(message).encode() + b"\0")
    deadline = time.time() + timeout
    while True:
        reply = read_message(deadline)
        if reply.get("id") == next_id[0]:
            if "error" in reply:
                raise RuntimeError(f"{method}: {reply['error']}")
            return reply.get("result", {})


def evaluate(session, expression):
    result = send("Runtime.evaluate", {"expression": expression, "returnByValue": True, "awaitPromise": True}, session)
    return result.get("result", {}).get("value")


def wait_for(session, expression, timeout=30):
    deadline = time.time() + timeout
    while time.time() < deadline:
        value = evaluate(session, expression)
        if value:
            return value
        time.sleep(0.1)
    raise TimeoutError("timed out waiting for: " + expression)


try:
    target = send("Target.createTarget", {"url": "about:blank"})["targetId"]
    session = send("Target.attachToTarget", {"targetId": target, "flatten": True})["sessionId"]
    send("Page.enable", session=session)
    send("Runtime.enable", session=session)
    send("Page.navigate", {"url": url}, session)
    wait_for(session, "document.readyState === 'complete' && !!document.getElementById('signin')")
    evaluate(session, f"document.getElementById('token').value = {json.dumps(token)}; document.getElementById('signin').click(); true")
    captions = []
    for _ in range(3):
        # An item is shown when its image has loaded and its caption is not the one just labelled.
        previous = json.dumps(captions[-1] if captions else "")
        caption = wait_for(session, "(() => { const c = document.getElementById('caption').textContent;"
                                    " const img = document.getElementById('triplet');"
                                    f" return c && c !== {previous} && img.complete && img.naturalWidth > 0 ? c : null; }})()")
        captions.append(caption)
        evaluate(session, "document.activeElement && document.activeElement.blur(); true")
        for kind in ("keyDown", "keyUp"):
            send("Input.dispatchKeyEvent", {"type": kind, "key": key, "text": key if kind == "keyDown" else "",
                                            "code": "Digit" + key, "windowsVirtualKeyCode": ord(key)}, session)
    wait_for(session, f"document.getElementById('status').textContent.startsWith('saved') &&"
                      f" document.getElementById('caption').textContent !== {json.dumps(captions[-1])}")
    status = evaluate(session, "document.getElementById('status').textContent")
    print(json.dumps({"captions": captions, "status": status}))
finally:
    try:
        send("Browser.close", timeout=5)
    except Exception:
        pass
    browser.kill()
    browser.wait()
