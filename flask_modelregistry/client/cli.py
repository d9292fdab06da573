"""``modelregistry``: upload and download a model version's files from the command line."""
from __future__ import annotations

import argparse
import os
import sys
import typing as t
from pathlib import Path

from .api_client import EXIT_FAILED, EXIT_OK, EXIT_USAGE, ClientError, RegistryClient
from .sync import download, human_size, local_files, upload

DESCRIPTION = """\
Upload and download the files of a model version in a project's model registry.

A version's files form the package MODEL/VERSION. Runs are resumable: files already there with
the same sha256 are skipped, so a run that was cut off is simply started again.

Connection (flags override the environment):
  MODEL_REGISTRY_URL    the portal's address, e.g. https://portal.example.com
  MODEL_REGISTRY_TOKEN  an API token of the portal (scope api to upload, read_api is enough to download)
"""

EPILOG = """\
examples:
  export MODEL_REGISTRY_URL=http://127.0.0.1:5000 MODEL_REGISTRY_TOKEN=mrt_...
  modelregistry upload demo fraud-detector 2.1.0 model/ config.json
  modelregistry upload demo fraud-detector 2.1.0 weights.bin --subfolder checkpoints
  modelregistry download demo fraud-detector 2.1.0 ./fraud-detector-2.1.0
  modelregistry files demo fraud-detector 2.1.0

exit codes:
  0 done   1 some files failed   2 bad arguments or input refused   3 not signed in or not allowed
  4 project, model or version not found   5 the registry cannot be reached
"""

UPLOAD_HELP = """\
Upload files and folders to a model version, creating the version if it does not exist.

A file keeps its name; a folder keeps its own name and its subfolders (model/ uploads model/...;
"." uploads the current folder's contents). --subfolder puts everything under that folder.
A file already there with the same sha256 is skipped; one with other content is refused unless
--overwrite. Files in the registry that are not given here are left alone.
The model must exist (a typo should not create a new model) unless --create-model is given.
"""

DOWNLOAD_HELP = """\
Download a model version's files into DEST (default: ./MODEL/VERSION), keeping their folders.

A file already in DEST with the same sha256 is skipped; one with other content is refused unless
--overwrite. Each file is written to a hidden .NAME.part file and renamed once its sha256 is
checked, so a cut-off download never leaves a half file; running again continues it.
"""


def _parser() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--url", default=os.environ.get("MODEL_REGISTRY_URL", ""),
                        help="the portal's address (default: $MODEL_REGISTRY_URL)")
    common.add_argument("--token", default=os.environ.get("MODEL_REGISTRY_TOKEN", ""),
                        help="an API token (default: $MODEL_REGISTRY_TOKEN; prefer the variable, "
                             "flags show in the process list)")
    common.add_argument("--timeout", type=float, default=600.0, metavar="SECONDS",
                        help="how long to wait for the registry to answer (default: 600)")
    common.add_argument("--no-progress", action="store_true", help="no progress bars")
    common.add_argument("-q", "--quiet", action="store_true", help="print only failures and the summary")
    target = argparse.ArgumentParser(add_help=False, parents=[common])
    target.add_argument("project", metavar="PROJECT", help="the project, e.g. demo")
    target.add_argument("model", metavar="MODEL", help="the model's name (or numeric id)")
    target.add_argument("version", metavar="VERSION", help="the semantic version, e.g. 1.2.0 (or numeric id)")

    parser = argparse.ArgumentParser(prog="modelregistry", description=DESCRIPTION, epilog=EPILOG,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    up = sub.add_parser("upload", parents=[target], help="upload files and folders to a version",
                        description=UPLOAD_HELP, epilog=EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    up.add_argument("paths", nargs="+", metavar="PATH", help="files and folders to upload")
    up.add_argument("--subfolder", default="", help="put the files under this folder of the package")
    up.add_argument("--overwrite", action="store_true", help="replace files that are there with other content")
    up.add_argument("--create-model", action="store_true", help="create the model if it does not exist")
    up.add_argument("--description", default="", help="description of the version, if it is created")
    down = sub.add_parser("download", parents=[target], help="download a version's files",
                          description=DOWNLOAD_HELP, epilog=EPILOG,
                          formatter_class=argparse.RawDescriptionHelpFormatter)
    down.add_argument("dest", nargs="?", metavar="DEST", help="the folder to write to (default: ./MODEL/VERSION)")
    down.add_argument("--subfolder", default="", help="only the files under this folder of the package")
    down.add_argument("--overwrite", action="store_true", help="replace local files that have other content")
    sub.add_parser("files", parents=[target], help="list a version's files with their size and sha256",
                   description="List a version's files with their size and sha256.")
    return parser


def _client(args: argparse.Namespace) -> RegistryClient:
    return RegistryClient(args.url, args.token or None, timeout=args.timeout)


def _upload(args: argparse.Namespace) -> int:
    files = local_files(args.paths, args.subfolder)
    if not files:
        raise ClientError("nothing to upload: the folders given are empty", EXIT_USAGE)
    client = _client(args)
    ref, created = client.resolve(args.project, args.model, args.version, create_version=True,
                                  create_model=args.create_model, description=args.description)
    for what in created:
        print(f"created {what}")
    print(f"{ref.package_name} (version id {ref.version_id}): {len(files)} local file(s), "
          f"{human_size(sum(f.size for f in files))}")
    summary = upload(client, args.project, ref, files, overwrite=args.overwrite, progress=not args.no_progress,
                     quiet=args.quiet)
    print(summary.line("uploaded"))
    return EXIT_FAILED if summary.failed else EXIT_OK


def _download(args: argparse.Namespace) -> int:
    client = _client(args)
    ref, _ = client.resolve(args.project, args.model, args.version)
    dest = Path(args.dest) if args.dest else Path(ref.model_name) / ref.version
    print(f"{ref.package_name} (version id {ref.version_id}) -> {dest}")
    summary = download(client, args.project, ref, dest, subfolder=args.subfolder, overwrite=args.overwrite,
                       progress=not args.no_progress, quiet=args.quiet)
    print(summary.line("fetched"))
    return EXIT_FAILED if summary.failed else EXIT_OK


def _files(args: argparse.Namespace) -> int:
    client = _client(args)
    ref, _ = client.resolve(args.project, args.model, args.version)
    files = client.list_files(args.project, ref.version_id)
    for f in files.values():
        print(f"{f.sha256}  {f.size:>12}  {f.path}")
    print(f"{len(files)} file(s) in {ref.package_name}, {human_size(sum(f.size for f in files.values()))}")
    return EXIT_OK


COMMANDS: dict[str, t.Callable[[argparse.Namespace], int]] = {
    "upload": _upload, "download": _download, "files": _files}


def main(argv: t.Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit code (see ``modelregistry --help``)."""
    args = _parser().parse_args(argv)
    try:
        return COMMANDS[args.command](args)
    except ClientError as exc:
        print(f"modelregistry: error: {exc.message}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print("modelregistry: interrupted; run the same command again to resume", file=sys.stderr)
        return 130
