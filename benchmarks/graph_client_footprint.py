#!/usr/bin/env python
"""What a Microsoft Graph client costs: msgraph-sdk + azure-identity against msal + aiohttp.

Each candidate is installed with pip from the package registry into its own throwaway virtual
environment. For each, the table shows the installed size of site-packages, its number of .py
files, the cold import time (median of ``--runs`` fresh interpreters running only the import,
timed from outside) and the resident memory of such an interpreter after the import.

    python benchmarks/graph_client_footprint.py [--runs 5]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
import venv
from pathlib import Path

# What each client must load before its first call: ``import msgraph`` alone loads little, the service
# client and the async credential are what a caller uses.
CANDIDATES = {
    "msgraph-sdk + azure-identity": (
        ("msgraph-sdk", "azure-identity", "aiohttp"),
        "from msgraph import GraphServiceClient; from azure.identity.aio import ClientSecretCredential",
    ),
    "msal + aiohttp": (("msal", "aiohttp"), "import msal, aiohttp"),
}
# The peak resident memory of an interpreter that only imports the client: what loading it costs.
_RSS = "import resource; {imports}; print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)"


def _python(environment: Path) -> Path:
    return environment / "bin" / "python"


def _site_packages(environment: Path) -> Path:
    return next((environment / "lib").glob("python*/site-packages"))


def _install(environment: Path, packages: tuple[str, ...]) -> None:
    venv.create(environment, with_pip=True)
    subprocess.run(
        [_python(environment), "-m", "pip", "install", "--quiet", "--disable-pip-version-check", *packages],
        check=True,
    )


def _footprint(site: Path) -> tuple[int, int]:
    """Bytes and .py files under site-packages, leaving out pip and setuptools (every venv has them)."""
    skipped = ("pip", "setuptools", "_distutils_hack", "pkg_resources")
    size = files = 0
    for path in site.rglob("*"):
        if not path.is_file() or path.relative_to(site).parts[0].split("-")[0] in skipped:
            continue
        size += path.stat().st_size
        files += path.suffix == ".py"
    return size, files


def _import_seconds(python: Path, imports: str, runs: int) -> float:
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        subprocess.run([python, "-c", imports], check=True)
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def _rss_mb(python: Path, imports: str) -> float:
    output = subprocess.run([python, "-c", _RSS.format(imports=imports)], check=True, capture_output=True, text=True)
    return int(output.stdout.strip()) / 1024


def main() -> None:
    """Install both candidates and print their footprints."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=5, help="fresh interpreters per import timing (median)")
    arguments = parser.parse_args()
    rows = []
    with tempfile.TemporaryDirectory(prefix="graph-footprint-") as directory:
        for name, (packages, imports) in CANDIDATES.items():
            environment = Path(directory) / name.split()[0]
            _install(environment, packages)
            python = _python(environment)
            # Warm the disk cache and compile .pyc once: "cold" means a fresh interpreter, not a cold disk.
            subprocess.run([python, "-c", imports], check=True)
            size, files = _footprint(_site_packages(environment))
            rows.append(
                (name, size / 1e6, files, _import_seconds(python, imports, arguments.runs), _rss_mb(python, imports))
            )
        bare = _import_seconds(python, "pass", arguments.runs)
    print(f"Python {sys.version.split()[0]}; import time of a bare interpreter: {bare * 1000:.0f} ms")
    print(f"{'client':<30} {'installed':>10} {'.py files':>10} {'import':>9} {'RSS':>8}")
    for name, megabytes, files, seconds, rss in rows:
        print(f"{name:<30} {megabytes:>7.0f} MB {files:>10,} {seconds * 1000:>6.0f} ms {rss:>5.0f} MB")


if __name__ == "__main__":
    main()
