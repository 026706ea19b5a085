"""A local HTTP server speaking enough of Twilio's Messages API for tests and benchmarks.

    with TwilioStandIn(account_sid="ACtest", auth_token="tok") as twilio:
        settings.TWILIO_API_BASE = twilio.api_base
        ... send ...
        assert [m["To"] for m in twilio.messages] == [...]
        twilio.fail_next(2, status=503)                       # the next two requests fail
        twilio.script_number("+8130…", status=400, code=21614) # always for this number
        twilio.status_callback(twilio.messages[0], "delivered") # signed POST to our webhook

It checks basic auth and the account path, answers 201 with a Twilio-shaped JSON body, keeps each
accepted message (form fields, the ``mid`` from its StatusCallback, arrival time on this process'
monotonic clock) and serves HTTP/1.1 keep-alive so an adapter's connection reuse is exercised.
``python -m channels.testing.twilio_standin --port 8899`` runs it on its own (benchmarks): then
``GET /_standin/stats`` returns the counts and first/last arrival times as JSON.
"""

from __future__ import annotations

import argparse
import base64
import contextlib
import itertools
import json
import sys
import threading
import time
import urllib.request
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlencode, urlsplit

from ..inbound.twilio import compute_signature


@dataclass
class Scripted:
    status: int
    code: int | None = None
    message: str = ""
    retry_after: str | None = None


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive
    disable_nagle_algorithm = True  # headers and body are two writes: Nagle + delayed ACK would add 40 ms
    server: _Server

    def log_message(self, *args) -> None:  # quiet
        pass

    def setup(self) -> None:
        super().setup()
        with self.server.owner._lock:
            self.server.owner.connections += 1

    def _reply(self, status: int, payload: dict, headers: dict | None = None) -> None:
        body = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self) -> None:
        if self.path == "/_standin/stats":
            self._reply(200, self.server.owner.stats())
        else:
            self._reply(404, {"code": 20404, "message": "not found", "status": 404})

    def do_POST(self) -> None:
        owner = self.server.owner
        length = int(self.headers.get("Content-Length") or 0)
        form = {k: v[0] for k, v in parse_qs(self.rfile.read(length).decode("utf-8"), keep_blank_values=True).items()}
        if self.path == "/_standin/reset":
            owner.reset()
            return self._reply(200, {})
        if self.path != f"/2010-04-01/Accounts/{owner.account_sid}/Messages.json":
            return self._reply(404, {"code": 20404, "message": "The requested resource was not found", "status": 404})
        if self.headers.get("Authorization") != owner.expected_auth:
            return self._reply(401, {"code": 20003, "message": "Authenticate", "status": 401})
        fault = owner.fault()
        if fault == "stall":  # hang past the client's timeout, then refuse: nothing was accepted
            time.sleep(owner.stall_s)
            return self._reply(503, {"code": None, "message": "stalled", "status": 503})
        if fault in ("429", "503"):
            limited = fault == "429"
            return self._reply(int(fault), {"code": 20429 if limited else None, "message": f"fault {fault}",
                                            "status": int(fault)}, {"Retry-After": "1"} if limited else None)
        scripted = owner.next_script(form.get("To", ""))
        if owner.delay_s:
            time.sleep(owner.delay_s)
        if scripted is not None:
            headers = {"Retry-After": scripted.retry_after} if scripted.retry_after else None
            payload = {"code": scripted.code, "message": scripted.message or f"scripted {scripted.status}",
                       "status": scripted.status}
            return self._reply(scripted.status, payload, headers)
        for required in ("To", "Body"):
            if not form.get(required):
                return self._reply(400, {"code": 21604 if required == "To" else 21602,
                                         "message": f"A '{required}' is required", "status": 400})
        record = owner.accept(form)
        self._reply(201, {
            "sid": record["sid"], "account_sid": owner.account_sid, "to": form["To"], "from": form.get("From"),
            "body": form["Body"], "status": "queued", "num_segments": "1", "error_code": None,
            "error_message": None, "api_version": "2010-04-01",
        })


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128
    owner: TwilioStandIn

    def handle_error(self, request, client_address) -> None:
        if isinstance(sys.exc_info()[1], ConnectionError):  # a client that timed out and left: expected
            return
        super().handle_error(request, client_address)


class TwilioStandIn:
    def __init__(self, account_sid: str = "ACtest00000000000000000000000000", auth_token: str = "test-token",  # noqa: S107
                 host: str = "127.0.0.1", port: int = 0, keep_bodies: bool = True) -> None:
        self.account_sid, self.auth_token = account_sid, auth_token
        self.expected_auth = "Basic " + base64.b64encode(f"{account_sid}:{auth_token}".encode()).decode()
        self.keep_bodies = keep_bodies
        self.delay_s = 0.0
        # Benchmarks (bench/chaos_bench.py): every accepted message appended to ``record_path`` as
        # "mid<TAB>To" (flushed, so a reader sees it at once), and a fault read from ``fault_path``
        # ("429", "503", "stall" or nothing) that the driver switches on and off.
        self.record_path, self.fault_path, self.stall_s = None, None, 5.0
        self._record = None
        self._fault, self._fault_read = "", 0.0
        self._lock = threading.Lock()
        self._sids = itertools.count(1)
        self._server = _Server((host, port), _Handler)
        self._server.owner = self
        self._thread: threading.Thread | None = None
        self.reset()

    # -- lifecycle -----------------------------------------------------------------------------
    @property
    def api_base(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def start(self) -> TwilioStandIn:
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def __enter__(self) -> TwilioStandIn:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    # -- state ---------------------------------------------------------------------------------
    def reset(self) -> None:
        with getattr(self, "_lock", threading.Lock()):
            self.messages: list[dict] = []
            self.arrivals: list[float] = []
            self.requests = 0
            self.connections = 0
            self._next: list[Scripted] = []
            self._numbers: dict[str, Scripted] = {}

    def fail_next(self, count: int = 1, *, status: int = 503, code: int | None = None, message: str = "",
                  retry_after: str | None = None) -> None:
        with self._lock:
            self._next.extend(Scripted(status, code, message, retry_after) for _ in range(count))

    def script_number(self, to: str, *, status: int = 400, code: int | None = 21211, message: str = "") -> None:
        with self._lock:
            self._numbers[to] = Scripted(status, code, message)

    def next_script(self, to: str) -> Scripted | None:
        with self._lock:
            self.requests += 1
            if self._next:
                return self._next.pop(0)
            return self._numbers.get(to)

    def accept(self, form: dict) -> dict:
        callback = form.get("StatusCallback", "")
        record = {
            **(form if self.keep_bodies else {"To": form.get("To", "")}),
            "sid": f"SM{next(self._sids):032x}",
            "mid": parse_qs(urlsplit(callback).query).get("mid", [""])[0],
            "at": time.monotonic(),
        }
        with self._lock:
            self.messages.append(record)
            self.arrivals.append(record["at"])
            if self.record_path:
                if self._record is None:
                    self._record = open(self.record_path, "a", encoding="utf-8")  # noqa: SIM115
                self._record.write(f"{record['mid']}\t{form.get('To', '')}\n")
                self._record.flush()
        return record

    def fault(self) -> str:
        """The fault currently switched on in ``fault_path`` (re-read at most every 0.1 s)."""
        if not self.fault_path:
            return ""
        now = time.monotonic()
        if now - self._fault_read > 0.1:
            try:
                with open(self.fault_path, encoding="utf-8") as handle:
                    self._fault = handle.read().strip()
            except OSError:
                self._fault = ""
            self._fault_read = now
        return self._fault

    def stats(self) -> dict:
        with self._lock:
            arrivals = list(self.arrivals)
            mids = [m["mid"] for m in self.messages]
        return {"messages": len(arrivals), "requests": self.requests, "first": arrivals[0] if arrivals else None,
                "last": arrivals[-1] if arrivals else None, "duplicate_mids": len(mids) - len(set(mids))}

    # -- callbacks to the app ------------------------------------------------------------------
    def status_callback(self, message: dict, status: str = "delivered", *, error_code: int | None = None,
                        url: str | None = None, sign_with: str | None = None) -> int:
        """POST a Twilio-signed MessageStatus callback to the message's StatusCallback; the HTTP status."""
        params = {"MessageSid": message["sid"], "MessageStatus": status, "AccountSid": self.account_sid,
                  "To": message.get("To", ""), "From": message.get("From", "")}
        if error_code:
            params["ErrorCode"] = str(error_code)
        return post_signed(url or message["StatusCallback"], params, sign_with or self.auth_token)


def post_signed(url: str, params: dict, auth_token: str) -> int:
    """POST form ``params`` to ``url`` with the X-Twilio-Signature Twilio would send."""
    request = urllib.request.Request(  # noqa: S310 (tests and benchmarks post to local URLs)
        url, data=urlencode(params).encode(), method="POST",
        headers={"X-Twilio-Signature": compute_signature(url, params, auth_token),
                 "Content-Type": "application/x-www-form-urlencoded"},
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310
            return response.status
    except urllib.error.HTTPError as exc:
        return exc.code


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--account-sid", default="ACtest00000000000000000000000000")
    parser.add_argument("--auth-token", default="test-token")
    parser.add_argument("--record", help="append every accepted message as 'mid<TAB>To' to this file")
    parser.add_argument("--fault-file", help="a file holding the fault to answer with: 429, 503, stall or nothing")
    parser.add_argument("--stall-s", type=float, default=5.0)
    args = parser.parse_args()
    standin = TwilioStandIn(args.account_sid, args.auth_token, args.host, args.port, keep_bodies=False)
    standin.record_path, standin.fault_path, standin.stall_s = args.record, args.fault_file, args.stall_s
    print(json.dumps({"api_base": standin.api_base}), flush=True)
    with contextlib.suppress(KeyboardInterrupt):
        standin._server.serve_forever(poll_interval=0.2)


if __name__ == "__main__":
    main()
