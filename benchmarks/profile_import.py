"""Importing a team's TOML file of 10,000 profiles: reading and checking it (the preview), and applying it
(all or nothing, one save). Goal (issue 16): seconds, not one fsync per profile.

    .venv/bin/python benchmarks/profile_import.py [--profiles 10000]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import tomli_w  # noqa: E402

from vouch_desktop.core.storage import store as store_module  # noqa: E402
from vouch_desktop.core.storage.profile_io import apply_import, plan_import  # noqa: E402
from vouch_desktop.core.storage.profiles import ProfileBook  # noqa: E402
from vouch_desktop.core.system.paths import AppPaths  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--profiles", type=int, default=10_000)
    count = parser.parse_args().profiles
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        source = root / "team.toml"
        half = count // 2
        source.write_text(tomli_w.dumps({"format": 1, "instance": [
            {"name": f"web {n}", "target": f"i-{n:017x}", "region": "eu-west-1"} for n in range(half)], "tunnel": [
            {"name": f"db {n}", "target": "Name=bastion-*", "remote_port": 5432, "region": "eu-west-1",
             "remote_host": f"db{n}.cluster-abc.eu-west-1.rds.amazonaws.com"} for n in range(count - half)]}))
        book = ProfileBook(AppPaths.under(root).ensure())
        book.load()
        writes = 0
        real_write = store_module.atomic_write_text

        def counted(*args: object, **kwargs: object) -> None:
            nonlocal writes
            writes += 1
            real_write(*args, **kwargs)  # type: ignore[arg-type]

        store_module.atomic_write_text = counted  # type: ignore[assignment]
        started = time.perf_counter()
        plan = plan_import(book, source)
        planned = time.perf_counter()
        apply_import(book, plan)
        applied = time.perf_counter()
        again = ProfileBook(AppPaths.under(root))
        problems = again.load()
        loaded = time.perf_counter()
        size = (root / "config" / "profiles.json").stat().st_size
        toml_size = source.stat().st_size
    print(f"profiles: {count:,} ({toml_size / 1e6:.1f} MB of TOML)")
    print(f"read and check (the preview): {planned - started:.2f} s; {len(plan.new):,} new, "
          f"{len(plan.invalid)} problems")
    print(f"apply (one save of {size / 1e6:.1f} MB): {applied - planned:.2f} s; {writes} write(s)")
    print(f"load them back at start: {loaded - applied:.2f} s; {len(problems)} problems")
    return 0 if writes == 1 and not problems and len(again.instances) + len(again.tunnels) == count else 1


if __name__ == "__main__":
    sys.exit(main())
