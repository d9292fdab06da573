"""Run the benchmarks: ``python -m bench [api] [mlflow] [pages] [client]`` (all by default)."""
from __future__ import annotations

import argparse
import importlib

WORKLOADS = {
    "api": "bench.api_workload",
    "mlflow": "bench.mlflow_workload",
    "pages": "bench.pages_workload",
    "client": "bench.client_workload",
}


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("workloads", nargs="*", choices=[*WORKLOADS, []], default=list(WORKLOADS))
    parser.add_argument("--quick", action="store_true", help="smaller sizes, for a fast look")
    args = parser.parse_args()
    for name in args.workloads or list(WORKLOADS):
        module = importlib.import_module(WORKLOADS[name])
        module.run(quick=args.quick)


if __name__ == "__main__":
    main()
