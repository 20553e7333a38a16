"""Command-line wiring for sealing: ``seal`` and ``keys deal|combine|upload``, and a
committee member's ``keys enrol|check|release`` (``cli_members``).

The same argument definitions and handlers serve two entry points:

- ``python -m tangguh.sealing seal|keys …``: no Django, no settings, no database, for a Pokja
  chair dealing off the node and for recovery without the server;
- the ``tangguh seal`` management command (``tangguh.bids``), and ``tangguh keys deal|combine``
  once the ``keys`` command hooks ``add_keys_subcommands`` and ``run_keys`` in.
"""

from __future__ import annotations

import argparse
import os
import sys
import tarfile
import tempfile
from pathlib import Path
from typing import TextIO

from tangguh.domain.sealing.keys import ENVELOPES, KeyContext, KeyFormatError
from tangguh.sealing.cli_members import (
    MEMBER_ACTIONS,
    add_member_subcommands,
    run_member_action,
)
from tangguh.sealing.dealing import (
    describe_upload,
    parse_member,
    read_upload_document,
    upload,
    upload_document,
    write_upload_document,
)
from tangguh.sealing.files import (
    SealingFailure,
    combine_share_files,
    deal_keys,
    identity_file_text,
    seal_file,
    write_identity,
)

KEYS_ACTIONS = ("deal", "combine", "upload", *MEMBER_ACTIONS)


def add_seal_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("input", type=Path, help="the file to seal (the bid package)")
    parser.add_argument("-o", "--output", type=Path, required=True, help="the sealed .age file")
    parser.add_argument("--recipient", required=True, help="the envelope's age1… recipient")


def run_seal(options: dict, stdout: TextIO) -> None:
    """Seal a file, or build the bid package from a directory holding ``penawaran.json`` and
    seal that. A tar given as input is checked as a bid package first. Either way only the
    current ``penawaran.json`` version seals (``tangguh.sealing.package``): the standalone
    tool and ``tangguh seal`` refuse version 1 alike, with ``package.invalid``."""
    source = Path(options["input"])
    if source.is_dir() or (source.is_file() and tarfile.is_tarfile(source)):
        _seal_package(source, options, stdout)
        return
    sealed = seal_file(source, options["output"], recipient=options["recipient"])
    stdout.write("warning: not a bid package (no penawaran.json); sealed as it is\n")
    _report(sealed, stdout)


def _seal_package(source: Path, options: dict, stdout: TextIO) -> None:
    from tangguh.domain.bid_package import BidPackageInvalid
    from tangguh.sealing.package import build_package, read_penawaran

    output = Path(options["output"])
    try:
        if source.is_dir():
            with tempfile.NamedTemporaryFile(
                dir=output.parent, prefix=".package-", suffix=".tar"
            ) as tar:
                package = build_package(source, tar)
                tar.flush()
                sealed = seal_file(Path(tar.name), output, recipient=options["recipient"])
        else:
            with open(source, "rb") as stream:
                package = read_penawaran(stream, sealing=True)
            sealed = seal_file(source, output, recipient=options["recipient"])
    except BidPackageInvalid as exc:
        lines = "; ".join(f"{p.field}: {p.message_en} [{p.code}]" for p in exc.problems)
        raise SealingFailure("package.invalid", f"penawaran.json: {lines}") from exc
    stdout.write(
        f"package: tender {package.tender} lot {package.lot} envelope "
        f"{package.envelope}, total {package.total_price}\n"
    )
    _report(sealed, stdout)


def _report(sealed, stdout: TextIO) -> None:
    stdout.write(
        f"sealed {sealed.path} ({sealed.size} bytes)\n"
        f"sha256 {sealed.sha256}\n"
        f"recipient fingerprint {sealed.fingerprint}\n"
    )


def add_keys_subcommands(subparsers) -> None:
    """Add ``deal`` and ``combine`` to an existing ``keys`` sub-parser set."""
    deal = subparsers.add_parser("deal", help="deal a sealing key's shares off the node")
    deal.add_argument("--tender", required=True, help="the tender's public code")
    deal.add_argument("--lot", type=int, default=1)
    deal.add_argument(
        "--envelope",
        required=True,
        action="append",
        choices=ENVELOPES,
        help="offer; or technical and price (give --envelope twice) for a two-file tender",
    )
    deal.add_argument("--members", type=int, help="n: one share per member (a check)")
    deal.add_argument("--threshold", type=int, help="k (default: a majority, at least 2)")
    deal.add_argument(
        "--member",
        action="append",
        default=[],
        dest="members_named",
        metavar="USERNAME=age1…",
        help="a member's node username and personal recipient, once per member, in share "
        "order; also writes sealing-keys.json for 'keys upload'",
    )
    deal.add_argument(
        "--recovery-recipient",
        help="the UKPBJ's offline recovery recipient: one more share, sealed to it",
    )
    deal.add_argument(
        "--member-recipient",
        action="append",
        default=[],
        dest="member_recipients",
        help="a member's personal age1… recipient; once per member, in share order",
    )
    deal.add_argument("--out", type=Path, required=True, dest="out", help="output directory")

    combine = subparsers.add_parser("combine", help="rebuild an identity from k shares")
    combine.add_argument("shares", nargs="+", type=Path, help="share-<i>.json[.age] files")
    combine.add_argument("--commitments", type=Path, help="commitments.json to check against")
    combine.add_argument(
        "--identity",
        action="append",
        default=[],
        type=Path,
        dest="identities",
        help="age identity file opening sealed share files (repeatable)",
    )
    combine.add_argument("--out", required=True, dest="out", help="identity file, or - for stdout")

    upload = subparsers.add_parser(
        "upload", help="send a dealing's sealing-keys.json to the node (draft tender)"
    )
    upload.add_argument("tender", help="the tender's public code")
    upload.add_argument("directory", type=Path, help="the 'keys deal --out' directory")
    upload.add_argument("--node", required=True, help="the node's base URL, https://…")
    upload.add_argument(
        "--token",
        default=os.environ.get("TANGGUH_TOKEN", ""),
        help="an API bearer token of a Pokja member (default: $TANGGUH_TOKEN)",
    )
    add_member_subcommands(subparsers)


def run_keys(options: dict, stdout: TextIO) -> None:
    """Run ``keys deal`` or ``keys combine`` from parsed ``options``."""
    if options["action"] == "deal":
        _run_deal(options, stdout)
    elif options["action"] == "combine":
        _run_combine(options, stdout)
    elif options["action"] == "upload":
        _run_upload(options, stdout)
    elif options["action"] in MEMBER_ACTIONS:
        run_member_action(options, stdout)
    else:
        raise SealingFailure("cli.unknown", f"unknown keys action {options['action']!r}")


def _run_deal(options: dict, stdout: TextIO) -> None:
    named = [parse_member(text) for text in options["members_named"]]
    if named and options["member_recipients"]:
        raise SealingFailure("cli.members", "give --member or --member-recipient, not both")
    members = [recipient for _, recipient in named] or options["member_recipients"]
    if options["members"] is not None and len(members) != options["members"]:
        raise SealingFailure(
            "cli.members", f"--members {options['members']} but {len(members)} members given"
        )
    names = list(dict.fromkeys(options["envelope"]))
    try:
        contexts = [
            KeyContext(tender=options["tender"], lot=options["lot"], envelope=name)
            for name in names
        ]
    except KeyFormatError as exc:
        raise SealingFailure(exc.code, str(exc)) from exc
    out = Path(options["out"])
    dealt = []
    for context in contexts:
        # one envelope: its files in --out; several: one directory per envelope
        directory = out if len(contexts) == 1 else out / context.envelope
        key = deal_keys(
            context=context,
            member_recipients=members,
            threshold=options["threshold"],
            directory=directory,
            recovery_recipient=options.get("recovery_recipient"),
        )
        dealt.append((context.envelope, context.lot, key))
        recovery = (
            f" (+ recovery share {key.recovery_index})" if key.recovery_index is not None else ""
        )
        stdout.write(
            f"dealt {context.label()}: {key.k} of {key.n}{recovery}\n"
            f"recipient {key.recipient}\n"
            f"fingerprint {key.fingerprint}\n" + "".join(f"wrote {path}\n" for path in key.files)
        )
    if named:
        document = upload_document(
            tender=options["tender"], dealt=dealt, holders=[name for name, _ in named]
        )
        path = write_upload_document(out, document)
        stdout.write(
            f"wrote {path}\n"
            f"next: tangguh keys upload {options['tender']} {out} --node https://… --token …\n"
        )


def _run_upload(options: dict, stdout: TextIO) -> None:
    document = read_upload_document(options["directory"], options["tender"])
    answer = upload(
        node=options["node"], tender=options["tender"], document=document, token=options["token"]
    )
    stdout.write(describe_upload(answer))


def _run_combine(options: dict, stdout: TextIO) -> None:
    key = combine_share_files(
        options["shares"], identities=options["identities"], commitments=options["commitments"]
    )
    if options["out"] == "-":
        stdout.write(identity_file_text(key))
        return
    write_identity(key, Path(options["out"]))
    stdout.write(f"rebuilt {key.context.label()}\nrecipient {key.recipient}\n")


def main(argv: list[str] | None = None) -> int:
    """``python -m tangguh.sealing``: exit 0 on success, 1 with a message on a failure."""
    parser = argparse.ArgumentParser(prog="python -m tangguh.sealing")
    commands = parser.add_subparsers(dest="command", required=True)
    add_seal_arguments(commands.add_parser("seal", help="seal a file to an age recipient"))
    keys = commands.add_parser("keys", help="sealing keys: deal or combine shares")
    add_keys_subcommands(keys.add_subparsers(dest="action", required=True))
    options = vars(parser.parse_args(argv))
    try:
        if options["command"] == "seal":
            run_seal(options, sys.stdout)
        else:
            run_keys(options, sys.stdout)
    except (SealingFailure, OSError) as exc:
        code = getattr(exc, "code", "file.error")
        sys.stderr.write(f"error [{code}]: {exc}\n")
        return 1
    return 0
