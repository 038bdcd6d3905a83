"""Slow-client drill: a few clients trickling their requests, and how long a normal request waits.

    .venv/bin/python -m tests.reliability.slow_clients [--slow 4,16] [--hold 12]

It serves Rebound with gunicorn (config/gunicorn.py, production settings, 2 workers, a throwaway
SQLite file) in three ways: sync workers, gthread workers (GUNICORN_THREADS=4), and sync workers
behind nginx with request buffering on (the snippet in README's deployment section). For each, it
opens N slow connections, half sending their headers a byte a second, half sending a form body a
byte a second, as a phone on a bad network or a slowloris attack does, and then times ordinary
GET /healthz requests while they hang on. nginx is skipped when it isn't installed.

A normal request that takes longer than 10 s counts as stalled. Nothing here is a pass or a fail:
it prints the numbers README quotes.
"""

import argparse
import http.client
import shutil
import socket
import statistics
import subprocess
import tempfile
import threading
import time
from pathlib import Path

from tests.reliability import harness

STALLED = 10.0  # seconds: a normal request slower than this is reported as stalled
NORMAL_REQUESTS = 5

NGINX_CONF = """\
daemon off;
worker_processes 1;
pid {dir}/nginx.pid;
error_log {dir}/error.log warn;
events {{ worker_connections 1024; }}
http {{
    access_log off;
    client_body_temp_path {dir}/body;
    proxy_temp_path {dir}/proxy;
    fastcgi_temp_path {dir}/fastcgi;
    uwsgi_temp_path {dir}/uwsgi;
    scgi_temp_path {dir}/scgi;
    upstream rebound {{ server 127.0.0.1:{upstream}; keepalive 8; }}
    server {{
        listen 127.0.0.1:{port};
        client_header_timeout 10s;
        client_body_timeout 10s;
        send_timeout 10s;
        client_max_body_size 6m;
        location / {{
            proxy_pass http://rebound;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
            proxy_set_header Host $host;
            proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
            proxy_set_header X-Forwarded-Proto $scheme;
            proxy_request_buffering on;
            proxy_buffering on;
        }}
    }}
}}
"""


# How each kind of slow client starts its request, before it trickles the rest a byte a second.
SLOW_STARTS = {
    "headers": b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ",
    # With a CSRF cookie of the right shape, Django reads the whole body looking for the token.
    "body": b"POST /accounts/login/ HTTP/1.1\r\nHost: 127.0.0.1\r\nCookie: csrftoken=" + b"a" * 32 + b"\r\n"
    b"Content-Type: application/x-www-form-urlencoded\r\nContent-Length: 100000\r\n\r\n",
}


class SlowClient(threading.Thread):
    """One connection that sends its request a byte a second until told to stop."""

    def __init__(self, port: int, kind: str, stop: threading.Event):
        super().__init__(daemon=True)
        self.port, self.kind, self.stop = port, kind, stop

    def run(self):
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=30) as connection:
                connection.sendall(SLOW_STARTS[self.kind])
                while not self.stop.wait(1):
                    connection.sendall(b"a")
        except OSError:
            pass  # The server gave up on us: that is its defence working.


def time_normal_request(port: int) -> float | None:
    """Seconds an ordinary request took; None when it stalled."""
    started = time.monotonic()
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=STALLED)
    try:
        connection.request("GET", "/healthz")
        ok = connection.getresponse().status == 200
    except (OSError, http.client.HTTPException):
        ok = False
    finally:
        connection.close()
    return time.monotonic() - started if ok else None


def measure(port: int, slow: int, hold: float) -> list[float | None]:
    """Ordinary requests, one after another, while `slow` slow clients hang on for `hold` seconds."""
    stop = threading.Event()
    clients = [SlowClient(port, "headers" if n % 2 else "body", stop) for n in range(slow)]
    for client in clients:
        client.start()
    time.sleep(2)  # Let them connect and start trickling.
    deadline = time.monotonic() + hold
    timings = [time_normal_request(port)]
    while time.monotonic() < deadline and len(timings) < NORMAL_REQUESTS:
        timings.append(time_normal_request(port))
    stop.set()
    for client in clients:
        client.join(5)
    time.sleep(1)  # The server lets go of the closed connections before the next round.
    return timings


def describe(timings: list[float | None]) -> str:
    served = [t for t in timings if t is not None]
    stalled = len(timings) - len(served)
    parts = []
    if served:
        parts.append(f"{len(served)} served, median {statistics.median(served) * 1000:.0f} ms")
    if stalled:
        parts.append(f"{stalled} stalled (> {STALLED:.0f} s)")
    return ", ".join(parts)


class Nginx:
    def __init__(self, folder: Path, upstream: int):
        self.folder = folder
        self.port = harness.free_port()
        folder.chmod(0o777)  # its workers may run as nobody
        (folder / "nginx.conf").write_text(NGINX_CONF.format(dir=folder, upstream=upstream, port=self.port))

    def __enter__(self):
        self.process = subprocess.Popen(
            [
                shutil.which("nginx"),
                "-p",
                str(self.folder),
                "-e",
                str(self.folder / "error.log"),
                "-c",
                "nginx.conf",
            ],
            start_new_session=True,
        )
        for _ in range(50):
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=1):
                    return self
            except OSError:
                time.sleep(0.1)
        raise RuntimeError("nginx did not start")

    def __exit__(self, *exc):
        self.process.terminate()
        self.process.wait(10)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--slow", default="4,16", help="numbers of slow clients to try, comma-separated")
    parser.add_argument("--hold", type=float, default=12.0, help="seconds the slow clients hang on")
    args = parser.parse_args()
    counts = [int(n) for n in args.slow.split(",")]

    setups = [
        ("sync, 2 workers", {}, False),
        ("gthread, 2 workers x 4 threads", {"GUNICORN_THREADS": "4"}, False),
    ]
    if shutil.which("nginx"):
        setups.append(("sync, 2 workers, behind nginx", {}, True))
    else:
        print("nginx isn't installed: skipping the buffered setup.")

    with tempfile.TemporaryDirectory(prefix="rebound-slow-") as folder:
        folder = Path(folder)
        database = f"sqlite:///{folder / 'db.sqlite3'}"
        print(f"{'setup':<34} {'slow clients':>12}  normal GET /healthz")
        for name, extra, behind_nginx in setups:
            port = harness.free_port()
            env = harness.server_env(database, port) | extra
            server = harness.Server(env, folder / "gunicorn.log")
            server.start()
            try:
                if behind_nginx:
                    (folder / "nginx").mkdir(exist_ok=True)
                    with Nginx(folder / "nginx", port) as nginx:
                        for slow in counts:
                            print(f"{name:<34} {slow:>12}  {describe(measure(nginx.port, slow, args.hold))}")
                else:
                    for slow in counts:
                        print(f"{name:<34} {slow:>12}  {describe(measure(port, slow, args.hold))}")
            finally:
                server.stop()


if __name__ == "__main__":
    main()
