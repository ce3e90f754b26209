"""The soak's table: the faults, the answers by operation and status, and the verdict."""

import collections

from bench.soak.ledger import NO_ANSWER, acknowledged


def report(seconds, clients, ledgers, events, verdict):
    """The soak's table: the faults, the answers by operation and status, and the verdict."""
    lines = [f"soak: {seconds} s, {clients} clients, loopback", "", "faults:"]
    lines += [f"  {at:6.1f} s  {what}" for at, what in events] or ["  none"]
    lines += ["", *_answers_table(ledgers)]
    lines.append(f"errors per tenth of the run: {' '.join(map(str, _per_tenth(ledgers, seconds)))}")
    return "\n".join([*lines, "", *_verdict_lines(ledgers, verdict)])


def _answers_table(ledgers):
    """Requests sent, 2xx and errors by status, per method and in total."""
    answers = sum((ledger.answers for ledger in ledgers), collections.Counter())
    rows = [f"{'operation':<10}{'sent':>8}{'2xx':>8}  errors by status"]
    for operation in ("GET", "POST", "PATCH", "DELETE", "total"):
        sent, errors = 0, collections.Counter()
        for (method, status), count in answers.items():
            if operation in (method, "total"):
                sent += count
                if status == NO_ANSWER or status >= 300:
                    errors[status] += count
        shown = ", ".join(f"{status}: {count}" for status, count in sorted(errors.items(), key=str)) or "-"
        rows.append(f"{operation:<10}{sent:>8}{sent - sum(errors.values()):>8}  {shown}")
    return rows


def _verdict_lines(ledgers, verdict):
    """What was acknowledged, and what of it was lost or split."""
    batches = [b for ledger in ledgers for b in ledger.batches]
    patches = [p for ledger in ledgers for p in ledger.patches]
    deletes = [d for ledger in ledgers for d in ledger.deletes]
    acked_samples = sum(len(b.samples) for b in batches if acknowledged(b))
    unknown = sum(write.status is None for write in batches + patches + deletes)
    lookups_missing = sum(ledger.lookups_missing for ledger in ledgers)
    return [
        (f"acknowledged writes: {sum(map(acknowledged, batches))} batches ({acked_samples} samples), "
         f"{sum(map(acknowledged, patches))} patches, {sum(map(acknowledged, deletes))} deletes; "
         f"{unknown} writes unanswered (outcome unknown)"),
        (f"lost writes:     {sum(verdict.lost.values())}  (POST {verdict.lost['POST']}, PATCH {verdict.lost['PATCH']}, "
         f"DELETE {verdict.lost['DELETE']}; {verdict.lost_samples} acknowledged samples missing or changed; "
         f"{lookups_missing} not found by a later GET)"),
        f"partial writes:  {verdict.partial}  (batches partly stored)",
        f"integrity_check: {verdict.integrity}",
        f"result:          {'FAIL' if verdict.failed else 'PASS'}",
    ]


def _per_tenth(ledgers, seconds):
    """How many requests failed in each tenth of the run (the last one includes the requests after it)."""
    counts = [0] * 10
    for at in (at for ledger in ledgers for at in ledger.error_times):
        counts[min(9, int(10 * at / seconds))] += 1
    return counts
