"""Run the benchmarks: ``python -m bench [api] [mlflow] [pages] [client] [webhooks] [bigfiles] [operations] [metrics]`` (all by default)."""
from __future__ import annotations

import argparse
import importlib

WORKLOADS = {
    "api": "bench.api_workload",
    "mlflow": "bench.mlflow_workload",
    "pages": "bench.pages_workload",
    "client": "bench.client_workload",
    "webhooks": "bench.webhooks_workload",
    "bigfiles": "bench.bigfiles_workload",
    "operations": "bench.operations_workload",
    "metrics": "bench.metrics_workload",
}


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("workloads", nargs="*", metavar="WORKLOAD",
                        help=f"one or more of {', '.join(WORKLOADS)} (default: all)")
    parser.add_argument("--quick", action="store_true", help="smaller sizes, for a fast look")
    args = parser.parse_args()
    unknown = [name for name in args.workloads if name not in WORKLOADS]
    if unknown:
        parser.error(f"unknown workload {unknown[0]!r}; choose from {', '.join(WORKLOADS)}")
    for name in args.workloads or list(WORKLOADS):
        module = importlib.import_module(WORKLOADS[name])
        module.run(quick=args.quick)


if __name__ == "__main__":
    main()
