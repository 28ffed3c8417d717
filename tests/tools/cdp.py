#!/usr/bin/python3
"""cdp.py: drive one headless Chromium over the DevTools protocol.

  cdp.py start DIR          start Chromium (profile in DIR), print "PID PORT"
  cdp.py PORT STEP...       run the steps in the browser's first tab

The browser stays up between calls, so a test file pays for its start
once.  Steps (one argument each, fields split on the first "|"s):
  auth|USER:PASS            send HTTP basic credentials from now on (this call)
  size|W|H                  viewport W x H CSS pixels (mobile below 800)
  goto|URL                  navigate and wait for the load event
  fill|CSS|TEXT             set a field's value
  check|CSS                 tick a radio button or checkbox
  select|CSS|VALUE          choose an option
  file|CSS|PATH[|PATH...]   put files into a file input
  click|CSS                 click and wait for the next page to load
  eval|JS                   print the JSON value of an expression
  shot|FILE                 PNG screenshot of the viewport
  fits                      print "W H" (page width, viewport width)
  url                       print the page's address
Every value is printed on its own line, in order; an error exits 1.
"""
import base64, json, os, subprocess, sys, time, urllib.request

import websocket


def start(d):
    os.makedirs(d, exist_ok=True)
    chrome = next(p for p in ("/usr/bin/chromium", "/usr/bin/chromium-browser")
                  if os.path.exists(p))
    port_file = os.path.join(d, "DevToolsActivePort")
    if os.path.exists(port_file):
        os.unlink(port_file)
    p = subprocess.Popen([chrome, "--headless=new", "--no-sandbox", "--disable-gpu",
                          "--disable-dev-shm-usage", "--no-first-run",
                          "--disable-background-networking", "--disable-component-update",
                          "--disable-sync", "--hide-scrollbars", "--mute-audio",
                          "--remote-debugging-address=127.0.0.1",
                          "--remote-debugging-port=0", "--user-data-dir=" + d,
                          "about:blank"],
                         stdout=subprocess.DEVNULL, stderr=open(os.path.join(d, "chrome.err"), "w"),
                         start_new_session=True)
    for _ in range(600):
        if os.path.exists(port_file):
            lines = open(port_file).read().split()
            if lines:
                print(p.pid, lines[0])
                return 0
        if p.poll() is not None:
            break
        time.sleep(0.1)
    print("chromium did not start", file=sys.stderr)
    return 1


class Tab:
    def __init__(self, port):
        tabs = json.load(urllib.request.urlopen("http://127.0.0.1:%s/json/list" % port, timeout=30))
        page = next(t for t in tabs if t.get("type") == "page")
        self.ws = websocket.create_connection(page["webSocketDebuggerUrl"], timeout=120,
                                              suppress_origin=True)
        self.n = 0
        self.events = []
        self.call("Page.enable")
        self.call("Runtime.enable")

    def call(self, method, **params):
        self.n += 1
        me = self.n
        self.ws.send(json.dumps({"id": me, "method": method, "params": params}))
        while True:
            m = json.loads(self.ws.recv())
            if m.get("id") == me:
                if "error" in m:
                    raise RuntimeError("%s: %s" % (method, m["error"]))
                return m.get("result", {})
            if "method" in m:
                self.events.append(m)

    def wait(self, event, timeout=90):
        end = time.time() + timeout
        while time.time() < end:
            for i, e in enumerate(self.events):
                if e["method"] == event:
                    del self.events[:i + 1]
                    return e
            self.ws.settimeout(max(0.1, end - time.time()))
            m = json.loads(self.ws.recv())
            if "method" in m:
                self.events.append(m)
        raise RuntimeError("timeout waiting for " + event)

    def js(self, expr):
        r = self.call("Runtime.evaluate", expression=expr, returnByValue=True,
                      awaitPromise=True)
        if "exceptionDetails" in r:
            raise RuntimeError("js: %s" % r["exceptionDetails"].get("text"))
        return r["result"].get("value")

    def node(self, css):
        doc = self.call("DOM.getDocument", depth=0)
        n = self.call("DOM.querySelector", nodeId=doc["root"]["nodeId"], selector=css)
        if not n.get("nodeId"):
            raise RuntimeError("no element " + css)
        return n["nodeId"]


def run(port, steps):
    t = Tab(port)
    for step in steps:
        verb, _, rest = step.partition("|")
        if verb == "auth":
            t.call("Network.enable")
            t.call("Network.setExtraHTTPHeaders", headers={
                "Authorization": "Basic " + base64.b64encode(rest.encode()).decode()})
        elif verb == "size":
            w, h = (int(x) for x in rest.split("|"))
            t.call("Emulation.setDeviceMetricsOverride", width=w, height=h,
                   deviceScaleFactor=1, mobile=w < 800)
        elif verb == "goto":
            # a fresh load each time, even of the page already shown
            # (a change of #fragment alone would load nothing)
            if t.js("location.href.split('#')[0]") == rest.split("#")[0]:
                t.events.clear()
                t.call("Page.navigate", url="about:blank")
                t.wait("Page.loadEventFired")
            t.events.clear()
            r = t.call("Page.navigate", url=rest)
            if r.get("errorText"):
                raise RuntimeError("goto %s: %s" % (rest, r["errorText"]))
            t.wait("Page.loadEventFired")
        elif verb in ("fill", "check", "select"):
            css, _, val = rest.partition("|")
            q = "document.querySelector(%s)" % json.dumps(css)
            if not t.js("!!" + q):
                raise RuntimeError("no element " + css)
            if verb == "check":
                t.js(q + ".checked = true")
            else:
                t.js(q + ".value = %s" % json.dumps(val))
        elif verb == "file":
            css, *paths = rest.split("|")
            t.call("DOM.setFileInputFiles", files=paths, nodeId=t.node(css))
        elif verb == "click":
            q = "document.querySelector(%s)" % json.dumps(rest)
            if not t.js("!!" + q):
                raise RuntimeError("no element " + rest)
            t.events.clear()
            t.js(q + ".click()")
            t.wait("Page.loadEventFired")
        elif verb == "eval":
            print(json.dumps(t.js(rest)))
        elif verb == "shot":
            r = t.call("Page.captureScreenshot", format="png")
            open(rest, "wb").write(base64.b64decode(r["data"]))
        elif verb == "fits":
            print(*t.js("[document.documentElement.scrollWidth, window.innerWidth]"))
        elif verb == "url":
            print(t.js("location.href"))
        else:
            raise RuntimeError("unknown step " + verb)
        sys.stdout.flush()
    return 0


if __name__ == "__main__":
    if len(sys.argv) >= 3 and sys.argv[1] == "start":
        sys.exit(start(sys.argv[2]))
    if len(sys.argv) < 2:
        print(__doc__, file=sys.stderr)
        sys.exit(2)
    try:
        sys.exit(run(sys.argv[1], sys.argv[2:]))
    except Exception as e:  # a failed step is a failed check, said plainly
        print("cdp: %s" % e, file=sys.stderr)
        sys.exit(1)
