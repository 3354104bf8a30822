"""Install each package's wheel with only qgtm-core beside it in a fresh venv, and import it.

Proves the dependency rule at install level: a package that secretly needed a sibling would fail
to import here. Third-party dependencies come from the uv cache (or the registry).
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
from pathlib import Path


def _wheel(dist: Path, name: str) -> Path:
    matches = sorted(dist.glob(f"qgtm_{name}-*.whl"))
    if len(matches) != 1:
        msg = f"expected one wheel for qgtm-{name} in {dist}, found {len(matches)}"
        raise SystemExit(msg)
    return matches[0]


def main(dist: Path, packages: list[str]) -> int:
    uv = shutil.which("uv")
    if uv is None:
        msg = "uv is not on PATH"
        raise SystemExit(msg)
    core = _wheel(dist, "core")
    failures = []
    with tempfile.TemporaryDirectory() as tmp:
        for name in packages:
            venv = Path(tmp) / name
            subprocess.run([uv, "venv", "-q", "--python", sys.executable, str(venv)], check=True)
            wheels = [str(core)] if name == "core" else [str(core), str(_wheel(dist, name))]
            python = str(venv / "bin" / "python")
            subprocess.run([uv, "pip", "install", "-q", "--python", python, *wheels], check=True)
            result = subprocess.run([python, "-c", f"import qgtm_{name}"], capture_output=True, text=True, check=False)
            status = "ok" if result.returncode == 0 else "FAILED"
            print(f"isolation: qgtm-{name} installs and imports alone: {status}")
            if result.returncode != 0:
                failures.append(f"qgtm-{name}: {result.stderr.strip().splitlines()[-1]}")
    for failure in failures:
        print(f"isolation: {failure}", file=sys.stderr)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main(Path(sys.argv[1]), sys.argv[2:]))
