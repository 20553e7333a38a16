"""``keys enrol``, ``keys check`` and ``keys release``: a committee member's own key work on the
command line (see ``members``), wired into ``tangguh keys …`` and ``python -m tangguh.sealing
keys …`` by ``cli.add_keys_subcommands`` / ``cli.run_keys``."""

from __future__ import annotations

import getpass
from datetime import datetime
from pathlib import Path
from typing import TextIO

from tangguh.domain.sealing.keys import ENVELOPES
from tangguh.domain.sealing.kit import KIT_WORK_FACTOR
from tangguh.sealing.files import SealingFailure
from tangguh.sealing.members import (
    NodeClient,
    closing_statement_fetch,
    kit_open,
    kit_write,
    read_passphrase,
    shares_check,
    shares_release,
    token_from,
)

MEMBER_ACTIONS = ("enrol", "check", "release")


def _node_arguments(parser, *, required: bool) -> None:
    parser.add_argument("--node", required=required, help="the node's address, https://…")
    parser.add_argument(
        "--token", help="an API bearer token of yours (default: $TANGGUH_TOKEN)", default=None
    )


def add_member_subcommands(subparsers) -> None:
    enrol = subparsers.add_parser(
        "enrol", help="make your personal key and its key kit (committee members)"
    )
    enrol.add_argument(
        "--out", type=Path, help="the key kit file to write (default kit-kunci-<fingerprint>.age)"
    )
    _node_arguments(enrol, required=False)

    for name, text in (
        ("check", "prove your key shares of a tender open (before the announcement)"),
        ("release", "release your key shares of a tender (after the bid deadline)"),
    ):
        action = subparsers.add_parser(name, help=text)
        action.add_argument("code", help="the tender's code")
        action.add_argument("--kit", type=Path, required=True, help="your key kit file")
        action.add_argument(
            "--passphrase-file", type=Path, help="read the passphrase from this file's first line"
        )
        _node_arguments(action, required=True)
        if name == "release":
            action.add_argument(
                "--envelope",
                action="append",
                default=[],
                choices=ENVELOPES,
                dest="envelopes",
                help="only this envelope (repeatable; default: all but price, which opens "
                "after the technical evaluation)",
            )
            action.add_argument(
                "--statement",
                help="the closing statement's SHA-256 you compared through another channel; "
                "refuse to release if the node's differs",
            )


def run_member_action(options: dict, stdout: TextIO, *, ask=getpass.getpass) -> None:
    action = options["action"]
    if action == "enrol":
        _enrol(options, stdout)
    elif action == "check":
        _check(options, stdout, ask)
    elif action == "release":
        _release(options, stdout, ask)
    else:
        raise SealingFailure("cli.unknown", f"unknown keys action {action!r}")


def _enrol(options: dict, stdout: TextIO) -> None:
    client = None
    if options.get("node"):
        client = NodeClient(options["node"], token_from(options))
        if client.token is None:
            raise SealingFailure("node.token_missing", "--node needs --token (or TANGGUH_TOKEN)")
    # The member's machine's time, only a label in the kit's comment (no node clock here).
    created = datetime.now().astimezone().isoformat(timespec="seconds")
    kit = kit_write(options.get("out"), created=created)
    stdout.write(
        f"key kit   {kit.path} (age scrypt, work factor 2^{KIT_WORK_FACTOR})\n"
        f"recipient {kit.recipient}\n"
        f"fingerprint {kit.fingerprint}\n"
        "\n"
        "FRASA SANDI / PASSPHRASE (shown once, stored nowhere — write it on paper, keep it\n"
        "apart from the key kit; without both, your key shares cannot be opened):\n"
        f"\n    {kit.passphrase}\n\n"
    )
    if client is None:
        stdout.write(
            "next: register the recipient on the node (Kunci pribadi saya), or run again with "
            "--node and --token\n"
        )
        return
    answer = client.post("/me/member-key", {"recipient": kit.recipient})
    if answer.get("recipient") != kit.recipient:
        raise SealingFailure("node.bad_response", "the node recorded another recipient")
    stdout.write(f"enrolled on {options['node']}: fingerprint {answer.get('fingerprint')}\n")


def _unlock(options: dict, ask) -> str:
    passphrase = read_passphrase(options.get("passphrase_file"), ask)
    return kit_open(options["kit"], passphrase)


def _check(options: dict, stdout: TextIO, ask) -> None:
    client = NodeClient(options["node"], token_from(options))
    code = options["code"]
    identity = _unlock(options, ask)
    for opened, answer in shares_check(client, code, identity):
        share = opened.share
        stdout.write(
            f"envelope {share.context.envelope}: share {share.index} of {share.n} "
            f"(k={share.k}) opens; sha256 {opened.commitment} matches its commitment; "
            f"check recorded {answer.get('checked_at')}\n"
        )
    stdout.write(f"key check of tender {code} done\n")


def _release(options: dict, stdout: TextIO, ask) -> None:
    client = NodeClient(options["node"], token_from(options))
    code = options["code"]
    statement = closing_statement_fetch(client, code)
    document = statement.document
    stdout.write(
        f"closing statement of tender {document.get('tender')}: {document.get('count')} "
        f"envelope(s), deadline {document.get('deadline')}, signed {document.get('signed_at')}\n"
        f"sha256 {statement.sha256} (signature verified against the node's keys)\n"
    )
    expected = (options.get("statement") or "").strip().lower()
    if expected and expected != statement.sha256:
        raise SealingFailure(
            "closing.statement_mismatch",
            f"the node's closing statement is {statement.sha256}, not {expected}: not released",
        )
    identity = _unlock(options, ask)
    for opened, answer in shares_release(
        client, code, identity, statement=statement, envelopes=options.get("envelopes") or ()
    ):
        stdout.write(
            f"envelope {opened.share.context.envelope}: share {opened.share.index} released; "
            f"{answer.get('released')} of k={answer.get('k')} in"
            + ("; the bids are open\n" if answer.get("opened") else "\n")
        )
