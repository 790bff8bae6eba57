"""Set up and run, from a fresh clone: `python3 -m bot.dev test` and `python3 -m bot.dev sandbox`.

Standard library only, because it runs before anything is installed. It makes `.venv`,
installs linli with its test extra (again only when pyproject.toml changed), makes sure the
local PostgreSQL the tests use is up, and then runs the command inside the venv. pytest's
"no tests ran" (exit 5) is turned into a failure so CI can never pass on nothing. The browser
tests need Debian's Chromium and an emoji font, the posters a CJK font; `test` installs them
with apt-get when they are missing.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VENV = ROOT / ".venv"
PYTHON = VENV / "bin" / "python"
STAMP = VENV / ".linli-installed"


def say(message: str) -> None:
    print(f"[linli] {message}", file=sys.stderr, flush=True)


def ensure_venv() -> None:
    """Create .venv and install linli[test] unless pyproject.toml is unchanged since last time."""
    wanted = hashlib.sha256((ROOT / "pyproject.toml").read_bytes()).hexdigest()
    if PYTHON.exists() and STAMP.exists() and STAMP.read_text().strip() == wanted:
        return
    if not PYTHON.exists():
        say("creating .venv")
        venv.EnvBuilder(with_pip=True, clear=True).create(VENV)
    say("installing linli and its test tools into .venv (about 30 s the first time)")
    subprocess.run([str(PYTHON), "-m", "pip", "install", "-q", "--disable-pip-version-check",
                    "-e", f"{ROOT}[test]"], check=True, cwd=ROOT)
    STAMP.write_text(wanted)


def _pg_ready() -> bool:
    if shutil.which("pg_isready") is None:
        return False
    return subprocess.run(["pg_isready", "-q", "-h", "127.0.0.1", "-p", "5432"]).returncode == 0


def ensure_postgres() -> None:
    """Start the machine's PostgreSQL cluster if it is down (the tests need it)."""
    if os.environ.get("LINLI_TEST_PG_URL") or _pg_ready():
        return
    clusters = Path("/etc/postgresql")
    if shutil.which("pg_ctlcluster") and clusters.is_dir():
        for version in sorted(p.name for p in clusters.iterdir()):
            say(f"starting PostgreSQL {version}")
            subprocess.run(["pg_ctlcluster", "--skip-systemctl-redirect", version, "main",
                            "start"], check=False)
    if not _pg_ready():
        say("PostgreSQL is not reachable at 127.0.0.1:5432; the PostgreSQL half of the suite "
            "will fail. Start it, or set LINLI_TEST_PG_URL.")


# Debian packages the tests need, each with a file that shows it is installed: Chromium for
# the browser tests (Playwright must never download one), a CJK font for the QR posters and
# the page, and a colour emoji font so the bot's buttons (✅, 📤, ✏️) do not show as empty boxes
# in the browser tests and the README's screenshots; poppler's pdftoppm to render the printable
# ballots' PDF to PNG in their tests (as a printer would see it).
DEBIAN_PACKAGES = {
    "chromium": Path("/usr/bin/chromium"),
    "fonts-wqy-microhei": Path("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc"),
    "fonts-noto-color-emoji": Path("/usr/share/fonts/truetype/noto/NotoColorEmoji.ttf"),
    "poppler-utils": Path("/usr/bin/pdftoppm"),
}


def ensure_debian_packages() -> None:
    """Install the Debian packages above that are missing (apt-get, as root)."""
    missing = [name for name, marker in DEBIAN_PACKAGES.items() if not marker.exists()]
    if not missing:
        return
    if shutil.which("apt-get") is None or os.geteuid() != 0:
        say(f"missing Debian packages {', '.join(missing)} and apt-get is not available to "
            "root here: browser and poster tests will fail. Install them by hand.")
        return
    say(f"installing {', '.join(missing)} with apt-get (about a minute the first time)")
    quiet = {"stdout": subprocess.DEVNULL, "stderr": subprocess.DEVNULL}
    environment = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    try:
        subprocess.run(["apt-get", "update", "-q"], check=True, env=environment, **quiet)
        subprocess.run(["apt-get", "install", "-y", "-q", *missing], check=True,
                       env=environment, **quiet)
    except subprocess.CalledProcessError:
        say(f"apt-get could not install {', '.join(missing)}: browser or poster tests will "
            f"fail. Try `apt-get install {' '.join(missing)}` by hand to see why.")


def run_tests(args: list[str]) -> int:
    ensure_venv()
    ensure_postgres()
    ensure_debian_packages()
    # the domain layer is type-checked (config in pyproject.toml); a type error fails the run
    say("type-checking models/ with mypy")
    typed = subprocess.run([str(PYTHON), "-m", "mypy", "models"], cwd=ROOT).returncode
    # the slowest tests at the end: the whole run has to stay under ten minutes
    # on every core: each test has its own database and free ports (tests/conftest.py)
    parallel = [] if any(a.startswith(("-n", "--numprocesses")) for a in args) \
        else ["-n", str(os.cpu_count() or 2), "--dist", "worksteal"]
    code = subprocess.run([str(PYTHON), "-m", "pytest", "--durations=15", *parallel, *args],
                          cwd=ROOT).returncode
    if code == 5:
        say("pytest collected no tests: that is a failure")
        return 1
    if typed != 0:
        say("mypy found type errors in models/: that is a failure")
        return code or 1
    return code


def run_sandbox(args: list[str]) -> int:
    ensure_venv()
    return subprocess.run([str(VENV / "bin" / "linli"), "sandbox", *args], cwd=ROOT).returncode


def main(argv: list[str]) -> int:
    if not argv or argv[0] not in ("test", "sandbox") or argv[0] in ("-h", "--help"):
        print(__doc__.strip())
        print("\nusage: python3 -m bot.dev test [PYTEST ARGS…] | sandbox [SANDBOX ARGS…]")
        return 0 if argv and argv[0] in ("-h", "--help") else 2
    command, rest = argv[0], argv[1:]
    try:
        return run_tests(rest) if command == "test" else run_sandbox(rest)
    except subprocess.CalledProcessError as error:
        say(f"setup failed: {error}")
        return 1
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
