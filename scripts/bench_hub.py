"""Download and fit benchmarks against the local Hub-like server (no internet needed).

    .venv/bin/python scripts/bench_hub.py OUT.json [--rate-mb-s 100]

Serves the SmolLM2 test model from tests/hub_server.py's FakeHub, then:
Hearth's verified, resumable download against a plain HTTP copy of the same
file in the same run (unlimited loopback, and paced like a link of the given
speed), and the time and bytes read to estimate a remote file's fit.
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from engine.bench.hub import run_download_bench  # noqa: E402
from engine.hub.fit import estimate_memory, fit_label, read_remote_header  # noqa: E402
from engine.machine import machine_memory  # noqa: E402
from tests import model_files  # noqa: E402
from tests.hub_server import SMOLLM2_FILE, SMOLLM2_REPO, FakeHub  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("out")
    parser.add_argument("--rate-mb-s", type=float, default=100.0, help="the paced run's link speed")
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    out = Path(args.out)
    model = model_files.smollm2()
    result: dict[str, object] = {}
    with FakeHub() as hub:
        hub.add_repo(SMOLLM2_REPO)
        hub.add_file(SMOLLM2_REPO, SMOLLM2_FILE, model)
        os.environ["HF_ENDPOINT"] = hub.url
        scratch = out.with_suffix(".tmp.json")
        result["download_loopback"] = run_download_bench(scratch, repo_id=SMOLLM2_REPO, filename=SMOLLM2_FILE,
                                                         endpoint=hub.url, repeats=args.repeats)
        hub.rate_limit = args.rate_mb_s * 1e6
        paced = run_download_bench(scratch, repo_id=SMOLLM2_REPO, filename=SMOLLM2_FILE, endpoint=hub.url,
                                   repeats=args.repeats)
        result[f"download_paced_{args.rate_mb_s:g}_mb_s"] = paced
        hub.rate_limit = None
        scratch.unlink(missing_ok=True)
        start = time.perf_counter()
        header = read_remote_header(SMOLLM2_REPO, SMOLLM2_FILE)
        estimate = estimate_memory(header.info, file_size=header.file_size, n_ctx=4096)
        label = fit_label(estimate, machine_memory())
        result["fit"] = {"seconds": round(time.perf_counter() - start, 3), "bytes_read": header.bytes_read,
                         "file_size": header.file_size, "fraction_read": round(header.bytes_read / header.file_size, 4),
                         "requests": header.requests, "estimate_bytes": estimate.total_bytes, "label": label}
    out.write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
