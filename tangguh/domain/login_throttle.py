"""How long a login must wait after failures. It slows guessing; it never locks anyone out.

A rival must not be able to keep a vendor out at a bid deadline by failing logins in the
vendor's name (issue #2), so every delay is capped, and the delay that any address can impose
on an account as a whole is a few seconds. Guessing from one address is slowed far more.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class ThrottleKind(StrEnum):
    PAIR = "pair"  # one account from one address
    ADDRESS = "addr"  # one address, any account (password spraying)
    ACCOUNT = "account"  # one account, any address (distributed guessing)


@dataclass(frozen=True)
class ThrottlePolicy:
    delay_from: int  # the failure after which waiting starts
    max_delay_seconds: int


POLICIES: dict[ThrottleKind, ThrottlePolicy] = {
    ThrottleKind.PAIR: ThrottlePolicy(delay_from=5, max_delay_seconds=60),
    ThrottleKind.ADDRESS: ThrottlePolicy(delay_from=20, max_delay_seconds=60),
    ThrottleKind.ACCOUNT: ThrottlePolicy(delay_from=50, max_delay_seconds=5),
}

# Failures older than this are forgotten.
RESET_AFTER_SECONDS = 15 * 60


def delay_after(kind: ThrottleKind, failures: int) -> int:
    """Seconds to wait before the next attempt after ``failures`` consecutive failures.

    1 s after the ``delay_from``-th failure, doubling with each further failure, capped by the
    kind's maximum.
    """
    policy = POLICIES[kind]
    over = failures - policy.delay_from
    if over < 0:
        return 0
    return min(policy.max_delay_seconds, 2 ** min(over, 20))
