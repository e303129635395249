"""sigrun_journal — read sigrun journal files (md.journal, signals.journal) from Python.

    from sigrun_journal import Journal
    with Journal("out/journal/signals.journal") as j:
        df = j.factors()                  # pandas DataFrame, one row per factor value
    md = Journal("out/journal/md.journal")
    books = md.depth()                    # numpy structured array of sigrun_depth
    for f in md.frames(start=1): ...      # Frame(sequence, msg_type, gen_time, trigger_time, payload)

Read-only (the file is mapped PROT_READ; a live runner may keep writing),
format version 3 only (journal/PROTOCOL.md). Needs numpy; pandas for
DataFrames and xxhash for checksum verification are optional.
"""

from .format import MSG_DEPTH, MSG_FACTOR_BATCH, MSG_TRADE
from .journal import (HAVE_XXHASH, ChecksumError, Frame, Frames, Journal, JournalError, LostFramesWarning,
                      frame_checksum)

__all__ = ["Journal", "Frames", "Frame", "JournalError", "ChecksumError", "LostFramesWarning",
           "frame_checksum", "HAVE_XXHASH", "MSG_DEPTH", "MSG_TRADE", "MSG_FACTOR_BATCH"]
