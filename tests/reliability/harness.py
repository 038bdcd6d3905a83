"""What the fault and load drills share: Rebound under gunicorn, and HTTP clients with sessions.

Nothing here is a test by itself; `fault.py` and `load.py` are the scripts. Traffic stays on
the loopback interface.
"""

import http.client
import http.cookiejar
import os
import re
import secrets
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PASSWORD = "a-long-drill-password-nobody-uses"

# What a request can fail with short of an HTTP answer: the server dropped or refused it.
# (URLError, ConnectionError and TimeoutError are all OSErrors.)
CONNECTION_ERRORS = (OSError, http.client.HTTPException)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def use_database(url: str) -> None:
    """Set up this process's own Django on `url`, for seeding and for checking afterwards."""
    os.environ["DATABASE_URL"] = url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    # This process only seeds and reads: development settings spare it a secret key. The server
    # gets production settings of its own (server_env).
    os.environ["DJANGO_DEBUG"] = "true"
    import django

    django.setup()


def prepare_database() -> None:
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    call_command("createcachetable", verbosity=0)


def make_person(email: str, name: str, password_hash: str):
    """A rep with a verified email who gets no notification emails (there is no mail server)."""
    from allauth.account.models import EmailAddress

    from teams.models import User

    user = User.objects.create(email=email, name=name, password=password_hash, email_notifications=False)
    EmailAddress.objects.create(user=user, email=email, verified=True, primary=True)
    return user


def server_env(database_url: str, port: int) -> dict:
    """Production settings, as a deployment sets them, on plain HTTP over loopback."""
    return os.environ | {
        "DJANGO_DEBUG": "false",
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1,localhost",
        "DJANGO_SECURE_SSL_REDIRECT": "false",
        "DJANGO_CONN_MAX_AGE": "600",
        "DJANGO_LOG_LEVEL": "WARNING",
        "DATABASE_URL": database_url,
        "GUNICORN_BIND": f"127.0.0.1:{port}",
        "GUNICORN_WORKERS": "2",
    }


def collect_static(env: dict) -> None:
    """The manifest storage needs its manifest: collect as `make run` does (into STATIC_ROOT)."""
    subprocess.run(
        [sys.executable, "manage.py", "collectstatic", "--noinput", "--verbosity", "0"],
        cwd=ROOT,
        env=env,
        check=True,
        timeout=120,
    )


def time_limit(seconds: int, what: str) -> None:
    """Raise TimeoutError in this process after `seconds`; `signal.alarm(0)` calls it off."""

    def out_of_time(signum, frame):
        raise TimeoutError(f"{what} took more than {seconds} s.")

    signal.signal(signal.SIGALRM, out_of_time)
    signal.alarm(seconds)


class Server:
    """gunicorn running config.wsgi with config/gunicorn.py, its output in a log file."""

    def __init__(self, env: dict, log_path: Path):
        self.env = env
        self.port = int(env["GUNICORN_BIND"].rsplit(":", 1)[1])
        self.url = f"http://127.0.0.1:{self.port}"
        self.log_path = log_path
        self.process = None

    def start(self, timeout: float = 30) -> None:
        self.log = open(self.log_path, "ab")  # noqa: SIM115 (closed in stop)
        self.process = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "-c", "config/gunicorn.py", "config.wsgi"],
            cwd=ROOT,
            env=self.env,
            stdout=self.log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"gunicorn exited ({self.process.returncode}):\n{self.log_tail()}")
            try:
                if Client(self.url).get("/healthz").status == 200:
                    return
            except CONNECTION_ERRORS:
                pass
            time.sleep(0.2)
        raise RuntimeError(f"gunicorn did not answer /healthz in {timeout} s:\n{self.log_tail()}")

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.process.terminate()  # The master stops its workers gracefully.
        try:
            self.process.wait(15)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)  # Its own session: only what it started.
            self.process.wait(5)
        self.log.close()

    def worker_cpu_seconds(self) -> float | None:
        """CPU time the workers have used so far (Linux /proc): a figure other loads don't skew."""
        ticks = os.sysconf("SC_CLK_TCK")
        total = 0.0
        try:
            for stat in Path("/proc").glob("[0-9]*/stat"):
                try:
                    fields = stat.read_text().rsplit(")", 1)[1].split()
                except OSError:
                    continue  # gone meanwhile
                if int(fields[1]) == self.process.pid:  # a worker of this master
                    total += (int(fields[11]) + int(fields[12])) / ticks
        except OSError:
            return None
        return total

    def log_tail(self, lines: int = 40) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no log)"


@dataclass
class Response:
    status: int
    body: str
    headers: dict = field(default_factory=dict)

    @property
    def location(self) -> str:
        return self.headers.get("location", "")


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    """A 302 is the answer we want to see (a write acknowledged), not a page to go to."""

    def redirect_request(self, *args, **kwargs):
        return None


CSRF_FIELD = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


def form_value(html: str, name: str) -> str | None:
    match = re.search(rf'name="{re.escape(name)}"[^>]*value="([^"]*)"', html) or re.search(
        rf'value="([^"]*)"[^>]*name="{re.escape(name)}"', html
    )
    return match.group(1) if match else None


def csrf_token(html: str) -> str:
    match = CSRF_FIELD.search(html)
    if match is None:
        raise ValueError("No CSRF token on the page.")
    return match.group(1)


class Client:
    """One person's browser: a cookie jar (shared by every thread using it) and no redirects."""

    def __init__(self, base_url: str, timeout: float = 30):
        self.base_url = base_url
        self.timeout = timeout
        # Production cookies are Secure; this drill speaks plain HTTP on loopback, so send them.
        policy = http.cookiejar.DefaultCookiePolicy(secure_protocols=("http", "https"))
        self.jar = http.cookiejar.CookieJar(policy)
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar), _NoRedirects)

    def request(self, method: str, path: str, data: dict | None = None, headers: dict | None = None):
        body = urllib.parse.urlencode(data, doseq=True).encode() if data is not None else None
        # Always http://127.0.0.1:<port> and a path of ours: no other scheme can get in.
        url = self.base_url + path
        request = urllib.request.Request(url, data=body, method=method, headers=headers or {})  # noqa: S310
        try:
            with self.opener.open(request, timeout=self.timeout) as answer:
                return Response(answer.status, answer.read().decode(errors="replace"), _lower(answer.headers))
        except urllib.error.HTTPError as answer:  # 3xx (not followed), 4xx and 5xx
            with answer:
                return Response(answer.code, answer.read().decode(errors="replace"), _lower(answer.headers))

    def get(self, path: str, **kwargs) -> Response:
        return self.request("GET", path, **kwargs)

    def post(self, path: str, data: dict, **kwargs) -> Response:
        return self.request("POST", path, data=data, **kwargs)

    def log_in(self, email: str, password: str = PASSWORD) -> None:
        page = self.get("/accounts/login/")
        token = csrf_token(page.body)
        answer = self.post(
            "/accounts/login/", {"login": email, "password": password, "csrfmiddlewaretoken": token}
        )
        if answer.status != 302 or not any(cookie.name == "sessionid" for cookie in self.jar):
            raise RuntimeError(f"Could not sign in as {email}: {answer.status}")


def _lower(headers) -> dict:
    return {name.lower(): value for name, value in headers.items()}


def percentile(values: list[float], share: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]
