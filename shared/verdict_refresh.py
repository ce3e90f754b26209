"""The writes' door to the stored verdicts, without importing NumPy until a write needs it.

Handlers that write samples or units call `await verdict_refresh.refresh(tx, changes)` inside
their transaction (`shared/verdict_store.py` says what it does); that module brings the DGA
engine and NumPy, which a target serving only reads never loads (cold start).
"""

ALL = None  # the value of `changes[unit]` when the unit itself changed: every one of its verdicts


async def refresh(tx, changes):
    """`verdict_store.refresh(tx, changes)`, importing the store on the first write."""
    from shared import verdict_store

    return await verdict_store.refresh(tx, changes)
