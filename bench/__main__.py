"""Run the benchmarks: ``python -m bench [api] [mlflow] [pages] [client] [webhooks] [bigfiles] [operations] [metrics]``
(all by default), or ``bigfiles-gcs`` (the GCS part of ``bigfiles`` alone)."""
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
#: parts of a workload, run only when named: ``name: (module, function)``
PARTS = {"bigfiles-gcs": ("bench.bigfiles_workload", "run_gcs")}


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("workloads", nargs="*", metavar="WORKLOAD",
                        help=f"one or more of {', '.join([*WORKLOADS, *PARTS])} (default: all but the parts)")
    parser.add_argument("--quick", action="store_true", help="smaller sizes, for a fast look")
    args = parser.parse_args()
    unknown = [name for name in args.workloads if name not in WORKLOADS and name not in PARTS]
    if unknown:
        parser.error(f"unknown workload {unknown[0]!r}; choose from {', '.join([*WORKLOADS, *PARTS])}")
    for name in args.workloads or list(WORKLOADS):
        module_name, function = PARTS.get(name) or (WORKLOADS[name], "run")
        getattr(importlib.import_module(module_name), function)(quick=args.quick)


if __name__ == "__main__":
    main()
