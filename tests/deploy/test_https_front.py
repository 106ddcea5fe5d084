"""The production front, as the README sets it up: nginx (Debian's package) with TLS before gunicorn.

Everything runs on this machine on unprivileged ports: a platform set up from nothing with the README's
commands (migrate, collectstatic, check --deploy, setup_platform, import_members) under the production
settings profile, gunicorn on 127.0.0.1, and nginx with deploy/nginx/dialogue.conf (only ports, paths and
the host name changed) and a self-signed certificate. A coordinator and the secretariat lead then sign
in, submit and accept a request, and read its page, over HTTPS through nginx.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
from html import unescape
from pathlib import Path

import pytest
import requests

from tests.conftest import IN_CI

from .conftest import GOOD_ROWS, HEADER

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.slow
LEAD_PASSWORD = "lead-pass-for-the-https-test-2026"
COORDINATOR_PASSWORD = "coordinator-pass-for-the-https-test-2026"


def _nginx() -> str:
    found = shutil.which("nginx") or ("/usr/sbin/nginx" if Path("/usr/sbin/nginx").exists() else "")
    if not found and os.geteuid() == 0 and shutil.which("apt-get"):
        env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
        subprocess.run(["apt-get", "install", "-y", "-qq", "nginx"], env=env, capture_output=True, timeout=600)
        found = shutil.which("nginx") or ("/usr/sbin/nginx" if Path("/usr/sbin/nginx").exists() else "")
    if not found:
        message = "needs Debian's nginx (apt-get install -y nginx)"
        if IN_CI:
            pytest.fail(message)
        pytest.skip(message)
    return found


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _wait_for_port(port: int, process: subprocess.Popen, log: Path, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"exited with {process.returncode}:\n{log.read_text()[-3000:]}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.2)
    raise AssertionError(f"nothing listens on {port}:\n{log.read_text()[-3000:]}")


def _certificate(folder: Path) -> tuple[Path, Path]:
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
    now = dt.datetime.now(dt.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    folder.mkdir(parents=True)
    chain, private = folder / "fullchain.pem", folder / "privkey.pem"
    chain.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    private.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    private.chmod(0o600)
    return chain, private


def _site_config(*, https_port: int, http_port: int, app_port: int, certs: Path, static: Path, logs: Path) -> str:
    """deploy/nginx/dialogue.conf with this machine's ports, paths and host name; nothing else changed."""
    text = (ROOT / "deploy/nginx/dialogue.conf").read_text()
    replacements = {
        "listen 80;": f"listen 127.0.0.1:{http_port};",
        "listen [::]:80;": "",
        "listen 443 ssl http2;": f"listen 127.0.0.1:{https_port} ssl http2;",
        "listen [::]:443 ssl http2;": "",
        "server 127.0.0.1:8000;": f"server 127.0.0.1:{app_port};",
        "/etc/ssl/dialogue/": f"{certs}/",
        "/srv/dialogue/var/static/": f"{static}/",
        "/var/log/nginx/": f"{logs}/",
        "dialogue.example.gov.lb": "localhost",
    }
    for old, new in replacements.items():
        assert old in text, f"deploy/nginx/dialogue.conf no longer has {old!r}"
        text = text.replace(old, new)
    return text


def _manage(env: dict[str, str], *args: str) -> str:
    result = subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=600
    )
    assert result.returncode == 0, f"manage.py {' '.join(args)}:\n{result.stdout}\n{result.stderr}"
    return result.stdout


@pytest.fixture(scope="module")
def front(tmp_path_factory):
    nginx = _nginx()
    base = tmp_path_factory.mktemp("https-front")
    https_port, http_port, app_port = _free_port(), _free_port(), _free_port()
    origin = f"https://localhost:{https_port}"
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "REDIS_URL", "DJANGO_ALLOW_ASYNC_UNSAFE"}}
    env.update(
        DJANGO_SETTINGS_MODULE="config.settings.production",
        SECRET_KEY=secrets.token_urlsafe(64),
        ALLOWED_HOSTS="localhost",
        CSRF_TRUSTED_ORIGINS=origin,
        SITE_URL=origin,
        VAR_DIR=str(base / "var"),
        SQLITE_PATH=str(base / "var" / "db.sqlite3"),
        STATIC_ROOT=str(base / "var" / "static"),
        EMAIL_BACKEND="django.core.mail.backends.filebased.EmailBackend",
        EMAIL_FILE_PATH=str(base / "var" / "mail"),
        LANGUAGE_CODE="ar",  # the product default: English pages under /en/
    )
    # the README's step 4, word for word but for the answers
    _manage(env, "migrate", "--noinput", "-v", "0")
    _manage(env, "collectstatic", "--noinput", "-v", "0")
    checked = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert checked.returncode == 0, checked.stdout + checked.stderr
    _manage(
        {**env, "SETUP_LEAD_PASSWORD": LEAD_PASSWORD},
        "setup_platform",
        "--no-input",
        "--organization-name=Partnership Platform Secretariat",
        "--organization-name-ar=أمانة منصة الشراكة",
        "--lead-username=lead",
        "--lead-email=lead@example.gov.lb",
        "--seat=chair-1:public",
        "--seat=gov-1:public",
        "--seat=cso-1:civil",
        "--seat=cso-2:civil",
        "--chair=chair-1",
    )
    members = base / "members.csv"
    members.write_text(
        "\n".join(
            ",".join(f'"{cell}"' for cell in row)
            for row in [[*HEADER, "charter_accepted"], *[[*row, "yes"] for row in GOOD_ROWS[:2]]]
        )
        + "\n",
        encoding="utf-8",
    )
    _manage(env, "import_members", str(members))
    _manage(
        env,
        "shell",
        "-c",
        "from django.contrib.auth import get_user_model; "
        "u = get_user_model().objects.get(username='cajj-coordinator'); "
        f"u.set_password('{COORDINATOR_PASSWORD}'); u.save()",
    )
    # gunicorn as the systemd unit starts it, on a port of its own
    logs = base / "logs"
    logs.mkdir()
    processes: list[subprocess.Popen] = []
    gunicorn_log = logs / "gunicorn.log"
    with gunicorn_log.open("wb") as out:
        gunicorn = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "config.wsgi", "--bind", f"127.0.0.1:{app_port}", "--workers", "2",
             "--access-logfile", "-", "--error-logfile", "-"],
            cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True,
        )  # fmt: skip
    processes.append(gunicorn)
    try:
        _wait_for_port(app_port, gunicorn, gunicorn_log)
        certs = base / "certs"
        chain, _key = _certificate(certs)
        site = _site_config(
            https_port=https_port,
            http_port=http_port,
            app_port=app_port,
            certs=certs,
            static=Path(env["STATIC_ROOT"]),
            logs=logs,
        )
        (base / "site.conf").write_text(site)
        temp = base / "nginx-temp"
        temp.mkdir()
        user = "user root root;\n" if os.geteuid() == 0 else ""  # workers must read pytest's private tmp folder
        (base / "nginx.conf").write_text(
            f"{user}worker_processes 1;\ndaemon off;\npid {base}/nginx.pid;\nerror_log {logs}/nginx-error.log;\n"
            "events { worker_connections 256; }\n"
            "http {\n  include /etc/nginx/mime.types;\n  default_type application/octet-stream;\n"
            f"  access_log {logs}/nginx-access.log;\n"
            + "".join(
                f"  {kind}_temp_path {temp}/{kind};\n" for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
            )
            + f"  include {base}/site.conf;\n}}\n"
        )
        config = ["-p", str(base), "-c", str(base / "nginx.conf"), "-e", str(logs / "nginx-error.log")]
        tested = subprocess.run([nginx, "-t", *config], capture_output=True, text=True)
        assert tested.returncode == 0, tested.stderr
        nginx_log = logs / "nginx-stdout.log"
        with nginx_log.open("wb") as out:
            server = subprocess.Popen([nginx, *config], stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
        processes.append(server)
        _wait_for_port(https_port, server, logs / "nginx-error.log")
        yield {
            "origin": origin,
            "http": f"http://localhost:{http_port}",
            "app": f"http://127.0.0.1:{app_port}",
            "cert": str(chain),
            "logs": logs,
        }
    finally:
        for process in reversed(processes):
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
                try:
                    process.wait(timeout=20)
                except subprocess.TimeoutExpired:
                    os.killpg(process.pid, signal.SIGKILL)
                    process.wait()


def _session(front) -> requests.Session:
    session = requests.Session()
    # The self-signed certificate is the only one trusted; no proxy or CA bundle from the environment
    # (requests lets REQUESTS_CA_BUNDLE override a session's own verify).
    session.trust_env = False
    session.verify = front["cert"]
    return session


def _hidden_inputs(html: str) -> dict[str, str]:
    fields = {}
    for tag in re.findall(r"<input[^>]*>", html):
        if 'type="hidden"' in tag:
            name = re.search(r'name="([^"]+)"', tag)
            value = re.search(r'value="([^"]*)"', tag)
            if name:
                fields[name.group(1)] = unescape(value.group(1)) if value else ""
    return fields


def _sign_in(front, username: str, password: str) -> requests.Session:
    session = _session(front)
    page = session.get(f"{front['origin']}/en/sign-in/")
    assert page.status_code == 200
    form = _hidden_inputs(page.text)
    signed = session.post(
        f"{front['origin']}/en/sign-in/",
        data={**form, "username": username, "password": password},
        headers={"Referer": page.url},
        allow_redirects=False,
    )
    assert signed.status_code == 302, signed.text[:2000]
    cookie = next(c for c in session.cookies if c.name == "sessionid")
    assert cookie.secure
    return session


def test_plain_http_is_only_a_redirect_to_https(front):
    for path in ("/", "/api/v1/auth/token/"):
        response = _session(front).get(front["http"] + path, allow_redirects=False, timeout=10)
        assert response.status_code == 301
        assert response.headers["Location"] == f"https://localhost{path}"


def test_django_trusts_the_proxy_header_and_nothing_else(front):
    # through nginx (X-Forwarded-Proto: https) a page is served, with HSTS
    page = _session(front).get(f"{front['origin']}/en/sign-in/", allow_redirects=False, timeout=10)
    assert page.status_code == 200
    assert "max-age=31536000" in page.headers["Strict-Transport-Security"]
    assert next(c for c in page.cookies if c.name == "csrftoken").secure
    # straight to gunicorn, without the header, the same page is a redirect to https://
    direct = _session(front).get(
        f"{front['app']}/en/sign-in/", headers={"Host": "localhost"}, allow_redirects=False, timeout=10
    )
    assert direct.status_code == 301 and direct.headers["Location"].startswith("https://localhost")


def test_sign_in_submit_accept_and_read_a_request_over_https(front):
    origin = front["origin"]
    # a coordinator gets an API token over HTTPS and submits a first request (a transition)
    api = _session(front)
    token = api.post(
        f"{origin}/api/v1/auth/token/",
        json={"username": "cajj-coordinator", "password": COORDINATOR_PASSWORD},
        timeout=10,
    )
    assert token.status_code == 200, token.text
    api.headers["Authorization"] = f"Token {token.json()['token']}"
    organizations = {
        o["acronym"]: o["id"] for o in api.get(f"{origin}/api/v1/organizations/", timeout=10).json()["results"]
    }
    created = api.post(
        f"{origin}/api/v1/requests/",
        json={
            "title": "Alternatives to detention for minors",
            "summary": "A roundtable on diversion measures in the juvenile justice law.",
            "policy_question": "How can diversion be applied before trial?",
            "theme": "juvenile-justice",
            "format": "roundtable",
            "requesting_organization": organizations["CAJJ"],
            "counterpart_organizations": [organizations["MoSA"]],
            "period_start": (dt.datetime.now(dt.UTC).date() + dt.timedelta(days=60)).isoformat(),
            "period_end": (dt.datetime.now(dt.UTC).date() + dt.timedelta(days=80)).isoformat(),
            "expected_participants": 25,
            "language": "both",
        },
        timeout=10,
    )
    assert created.status_code == 201, created.text
    reference = created.json()["reference"]
    submitted = api.post(f"{origin}/api/v1/requests/{reference}/transitions/submit/", json={}, timeout=10)
    assert submitted.status_code == 200, submitted.text
    # the secretariat lead signs in through the portal's form and accepts it (a form post: CSRF over HTTPS)
    lead = _sign_in(front, "lead", LEAD_PASSWORD)
    action = lead.get(f"{origin}/en/requests/{reference}/do/accept/", timeout=10)
    assert action.status_code == 200, action.text[:2000]
    done = lead.post(
        f"{origin}/en/requests/{reference}/do/accept/",
        data=_hidden_inputs(action.text),
        headers={"Referer": action.url},
        allow_redirects=False,
        timeout=10,
    )
    assert done.status_code == 302, done.text[:2000]
    # and the request's page says so
    page = lead.get(f"{origin}/en/requests/{reference}/", timeout=10)
    assert page.status_code == 200
    assert reference in page.text
    state = api.get(f"{origin}/api/v1/requests/{reference}/", timeout=10).json()["state"]
    assert state != "submitted"
    # its style sheets come from nginx (collectstatic's hashed names, cached for long)
    sheet = re.search(r'href="(/static/[^"]+\.css)"', page.text).group(1)
    css = lead.get(origin + sheet, timeout=10)
    assert css.status_code == 200 and "immutable" in css.headers["Cache-Control"]
    # and gunicorn logged the requests it was given (through nginx, never the static file)
    log = (front["logs"] / "gunicorn.log").read_text()
    assert f"/en/requests/{reference}/" in log and sheet not in log


def test_a_body_over_the_limit_is_refused_by_nginx(front):
    response = _session(front).post(f"{front['origin']}/api/v1/auth/token/", data=b"x" * (13 * 1024 * 1024), timeout=60)
    assert response.status_code == 413
    assert "nginx" in response.text
