"""Read-only access to one sigrun journal file (format 3).

The reader follows ``journal/PROTOCOL.md`` section 3 as the C++
``journal::Reader`` does, on a ``PROT_READ`` mapping, never writing to the
file (so it may run next to a live runner):

- where the journal ends: the header's hint, checked against its own slot,
  then a probe of the slots after it (L1-L3, :meth:`Journal.last_published`);
- every frame is copied out under a seqlock: the slot's sequence must equal
  the wanted one before (R1) and after (R5) the header fields and payload are
  copied, otherwise the copy is thrown away and the frame counted lost;
- a frame the writer overwrote before it was read (the reader was lapped) is
  counted lost, never returned, so each sequence is returned once or counted
  lost once.

Reads are vectorised: up to one ring's worth of slots is copied per step
(all sequences, then all headers and payloads, then all sequences again),
which is the same seqlock applied slot by slot. Python has no memory fences:
the R1 -> copy -> R5 order is program order, which x86-64 keeps for loads
(TSO); on weakly ordered CPUs the checksum is what catches a torn copy.

Checksums (XXH3-64, PROTOCOL.md section 1) are verified when the ``xxhash``
module is importable (Debian: ``python3-xxhash``); without it verification
is skipped (``Journal.verifies_checksums`` is False) unless asked for with
``verify=True``, which then fails with an error saying what to install.
"""

import mmap
import os
import struct
import warnings
from collections import namedtuple

import numpy as np

from . import format as fmt

try:
    import xxhash as _xxhash
except ImportError:  # verification is optional
    _xxhash = None

HAVE_XXHASH = _xxhash is not None


# The FrameHeader fields a reader uses, in this order (the pin counters are
# the owning runner's business).
_FRAME_FIELDS = ("sequence", "length", "msg_type", "gen_time", "trigger_time", "checksum")


class JournalError(Exception):
    """A journal that cannot be read: not a journal, another format version,
    truncated or damaged. The message is one line naming the file and the fix."""


class ChecksumError(JournalError):
    """A frame whose stored XXH3 checksum does not match its contents."""


class LostFramesWarning(UserWarning):
    """Frames were overwritten by the writer before this reader got to them."""


Frame = namedtuple("Frame", "sequence msg_type gen_time trigger_time payload")
Frame.__doc__ = """One intact frame: header fields and its payload as ``bytes`` (a copy)."""

_FIELDS = struct.Struct("<QIiqq")  # sequence, length, msg_type, gen_time, trigger_time: 32 bytes


def frame_checksum(sequence, length, msg_type, gen_time, trigger_time, payload):
    """XXH3-64 of a frame as the writer computes it (an ``int``); needs ``xxhash``.

    ``XXH3_64bits_withSeed(fields, 32, XXH3_64bits(payload))``, fields being
    (sequence u64, length u32, msg_type i32, gen_time i64, trigger_time i64)."""
    if _xxhash is None:
        raise JournalError("frame checksums need the xxhash module: apt-get install python3-xxhash")
    seed = _xxhash.xxh3_64_intdigest(payload)
    return _xxhash.xxh3_64_intdigest(_FIELDS.pack(sequence, length, msg_type, gen_time, trigger_time), seed=seed)


class Frames:
    """Iterator over the intact frames of a journal in sequence order.

    Yields :class:`Frame` objects; ``lost`` is the number of frames skipped
    because they were overwritten (or damaged) before they could be read, and
    ``gaps`` lists them as ``(first_sequence, count)`` runs. ``position`` is the
    next sequence wanted. Iteration ends when the reader reaches the last
    published frame (or ``stop``); like ``sigrun-journal dump`` it keeps up
    with a writer that is still writing.
    """

    def __init__(self, journal, start=None, stop=None):
        self._j = journal
        self._known = 0
        if start is None:
            self._known = journal.last_published()
            start = journal._oldest_possible(self._known)
        self.position = max(1, int(start))
        self.stop = None if stop is None else int(stop)
        self.lost = 0
        self.gaps = []

    def _lose(self, first, count):
        self.lost += count
        if self.gaps and self.gaps[-1][0] + self.gaps[-1][1] == first:
            self.gaps[-1] = (self.gaps[-1][0], self.gaps[-1][1] + count)
        else:
            self.gaps.append((first, count))

    def batches(self):
        """Yields ``(headers, payloads)`` per step: ``headers`` a copy of the
        intact frames' FrameHeader records (numpy, ``format.FRAME_HEADER``),
        ``payloads`` a ``(n, max_payload)`` uint8 copy of their slots' payload
        bytes (``headers['length']`` says how many are the frame's)."""
        j = self._j
        cap = j.capacity
        mask = np.uint64(cap - 1)
        while True:
            last = j.last_published(self._known)                 # L1-L3
            self._known = max(self._known, last)
            end = last if self.stop is None else min(last, self.stop - 1)
            if self.position > end:
                return
            oldest = j._oldest_possible(last)
            if self.position < oldest:                            # lapped: gone for sure
                self._lose(self.position, oldest - self.position)
                self.position = oldest
            n = min(end - self.position + 1, j._batch_frames)
            seqs = np.arange(self.position, self.position + n, dtype=np.uint64)
            idx = ((seqs - np.uint64(1)) & mask).astype(np.intp)
            before = j._sequences[idx]                            # R1
            headers = j.slots[idx]                                # R2: copies (fancy indexing)
            payloads = j._payloads[idx]                           # R3
            after = j._sequences[idx]                             # R5
            ok = (before == seqs) & (after == seqs) & (headers["length"] <= j.max_payload)
            if not ok.all():
                # R6: published (<= last) but no longer in its slot, or damaged.
                for s in seqs[~ok]:
                    self._lose(int(s), 1)
                headers, payloads = headers[ok], payloads[ok]
            self.position += n
            if j.verifies_checksums:
                j._verify(headers, payloads)
            if len(headers):
                yield headers, payloads

    def __iter__(self):
        for headers, payloads in self.batches():
            for h, p in zip(headers[list(_FRAME_FIELDS)].tolist(), payloads):
                seq, length, msg_type, gen_time, trigger_time, _sum = h
                yield Frame(seq, msg_type, gen_time, trigger_time, p[:length].tobytes())


class Journal:
    """One journal file, mapped read-only.

    ``Journal(path, verify=None)`` validates the header (magic, format version
    2, geometry, file size) and raises :class:`JournalError` with a one-line
    message naming the file and the fix when it cannot be read. ``verify``:
    None checks frame checksums when ``xxhash`` is installed, True insists
    (error without it), False never checks.

    Attributes: ``path``, ``format_version``, ``capacity`` (slots),
    ``slot_size``, ``max_payload``, ``created_time_ns``, ``verifies_checksums``,
    ``lost`` (frames lost by the last depth/trades/factor read), and the live,
    zero-copy views ``slots`` (one FrameHeader record per slot) and
    ``payloads`` (``(capacity, max_payload)`` uint8). The views race with a
    live writer: read frames through :meth:`frames` and the decoders, which
    apply the seqlock. Usable as a context manager.
    """

    def __init__(self, path, verify=None):
        self.path = os.fspath(path)
        if verify and not HAVE_XXHASH:
            raise JournalError(f"journal {self.path}: verify=True needs the xxhash module: "
                               "apt-get install python3-xxhash (or pass verify=None to skip checks without it)")
        self.verifies_checksums = HAVE_XXHASH if verify is None else bool(verify)
        self.lost = 0
        self._mm = None
        try:
            fd = os.open(self.path, os.O_RDONLY | os.O_CLOEXEC)
        except OSError as e:
            raise JournalError(f"journal {self.path}: open failed: {e.strerror}; check the path and "
                               "its permissions") from None
        try:
            size = os.fstat(fd).st_size
            header = self._validate(os.pread(fd, fmt.FILE_HEADER.itemsize, 0), size)
            self._mm = mmap.mmap(fd, fmt.FILE_HEADER_SIZE + self.capacity * self.slot_size,
                                 access=mmap.ACCESS_READ)
        finally:
            os.close(fd)
        self.created_time_ns = int(header["created_time"])
        self.header = np.frombuffer(self._mm, dtype=fmt.FILE_HEADER, count=1)[0]
        # Zero-copy: one FrameHeader record per slot, strided over the payloads.
        self.slots = np.ndarray((self.capacity,), dtype=fmt.FRAME_HEADER, buffer=self._mm,
                                offset=fmt.FILE_HEADER_SIZE, strides=(self.slot_size,))
        self._sequences = self.slots["sequence"]
        self.payloads = np.ndarray((self.capacity, self.max_payload), dtype=np.uint8, buffer=self._mm,
                                   offset=fmt.FILE_HEADER_SIZE + fmt.FRAME_HEADER_SIZE,
                                   strides=(self.slot_size, 1))
        self._payloads = self.payloads
        # Up to one ring, and about 32 MiB of payload copies, per read step.
        self._batch_frames = max(1, min(self.capacity, (32 << 20) // self.slot_size))

    def _validate(self, raw, size):
        """Checks the header bytes as Mapping::open_read_only does; returns the header record."""
        p = self.path
        if len(raw) < 8 or raw[:8] != fmt.MAGIC:
            raise JournalError(f"{p} is not a sigrun journal (bad magic); pass a md.journal or "
                               "signals.journal written by the sigrun runner")
        if len(raw) < fmt.FILE_HEADER.itemsize or size < fmt.FILE_HEADER_SIZE:
            raise JournalError(f"journal {p} is truncated ({size} bytes, the header alone needs "
                               f"{fmt.FILE_HEADER_SIZE}); restore it from a copy or delete it")
        h = np.frombuffer(raw, dtype=fmt.FILE_HEADER, count=1)[0]
        version = int(h["format_version"])
        if version < fmt.FORMAT_VERSION:
            raise JournalError(f"journal {p} was written by an older sigrun (format {version}); this "
                               f"reader reads format {fmt.FORMAT_VERSION}: move the file aside or delete it "
                               "and run the current runner to write a new one")
        if version != fmt.FORMAT_VERSION:
            raise JournalError(f"journal {p} was written by a newer sigrun (format {version}); this "
                               f"reader reads format {fmt.FORMAT_VERSION}: use the sigrun_journal package "
                               "of the same sigrun build")
        if int(h["header_size"]) != fmt.FILE_HEADER_SIZE:
            raise JournalError(f"journal {p} is damaged (header size {int(h['header_size'])}); "
                               "restore it from a copy or delete it")
        cap, slot = int(h["capacity"]), int(h["slot_size"])
        if not (1 <= cap <= fmt.MAX_CAPACITY and cap & (cap - 1) == 0):
            raise JournalError(f"journal {p} is damaged (capacity {cap} is not a power of two between 1 "
                               f"and {fmt.MAX_CAPACITY}); restore it from a copy or delete it")
        if not (fmt.MIN_SLOT_SIZE <= slot <= fmt.MAX_SLOT_SIZE and slot % 64 == 0):
            raise JournalError(f"journal {p} is damaged (slot size {slot}); restore it from a copy or delete it")
        need = fmt.FILE_HEADER_SIZE + cap * slot
        if size < need:
            raise JournalError(f"journal {p} is truncated: {size} bytes, its header needs {need} "
                               f"({cap} slots of {slot} bytes); restore it from a copy or delete it")
        self.format_version, self.capacity, self.slot_size = version, cap, slot
        self.max_payload = slot - fmt.FRAME_HEADER_SIZE
        return h

    # -- lifetime ---------------------------------------------------------------

    def close(self):
        """Drops the views and unmaps the file (left to the garbage collector
        when arrays viewing it are still alive elsewhere)."""
        if self._mm is None:
            return
        mm, self._mm = self._mm, None
        self.header = self.slots = self.payloads = self._sequences = self._payloads = None
        try:
            mm.close()
        except BufferError:
            pass  # someone still holds a zero-copy view; unmapped when it goes

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def __repr__(self):
        return (f"Journal({self.path!r}: format {self.format_version}, {self.capacity} slots x "
                f"{self.slot_size} bytes, last sequence {self.last_published() if self._mm else '?'})")

    # -- where the journal ends -------------------------------------------------

    def last_published(self, at_least=0):
        """The last published sequence (an ``int``, 0 for an empty journal).

        PROTOCOL.md L1-L3: the header hint, refused when its own slot shows it
        ahead of what was written, then a probe of the following slots, which
        also jumps over later laps of a stale hint. ``at_least``: a sequence
        the caller already saw published."""
        cap = self.capacity
        seqs = self._sequences
        hint = min(int(self.header["last_sequence_hint"]), fmt.MAX_SEQUENCE)     # L1
        at_least = min(int(at_least), fmt.MAX_SEQUENCE)
        if hint > at_least:                                                    # L2
            s = int(seqs[(hint - 1) & (cap - 1)])
            if s != 0 and (s < hint or (s - 1) & (cap - 1) != (hint - 1) & (cap - 1)):
                hint = 0
        last = max(hint, at_least)
        steps = 0
        while steps < cap and last < fmt.MAX_SEQUENCE:                           # L3
            k = min(cap - steps, 64 if steps == 0 else 4096)
            want = np.arange(last + 1, last + 1 + k, dtype=np.uint64)
            got = seqs[((want - np.uint64(1)) & np.uint64(cap - 1)).astype(np.intp)]
            miss = np.flatnonzero(got != want)
            if len(miss) == 0:
                last += k
                steps += k
                continue
            i = int(miss[0])
            last += i
            steps += i + 1
            s, nxt = int(got[i]), last + 1
            if nxt < s <= fmt.MAX_SEQUENCE and (s - 1) & (cap - 1) == (nxt - 1) & (cap - 1):
                last = s       # a later lap: the writer is at least there
                continue
            break              # an older frame, 0 (being written, discarded) or damage
        return min(last, fmt.MAX_SEQUENCE)

    def _oldest_possible(self, last):
        return max(1, last - self.capacity + 1)

    def oldest(self):
        """The oldest sequence that can still be in the ring (an ``int``; 1 when empty)."""
        return self._oldest_possible(self.last_published())

    # -- frames -----------------------------------------------------------------

    def frames(self, start=None, stop=None):
        """A :class:`Frames` iterator over intact frames from ``start`` (a
        sequence; default the oldest in the ring) up to ``stop`` (exclusive;
        default: as far as the writer has got). Check ``.lost`` / ``.gaps`` on
        it afterwards for frames that were overwritten before they were read."""
        return Frames(self, start, stop)

    def _verify(self, headers, payloads):
        for h, p in zip(headers[list(_FRAME_FIELDS)].tolist(), payloads):
            seq, length, msg_type, gen_time, trigger_time, stored = h
            got = frame_checksum(seq, length, msg_type, gen_time, trigger_time, p[:length].tobytes())
            if got != stored:
                raise ChecksumError(
                    f"journal {self.path}: frame {seq} (slot {(seq - 1) % self.capacity}) fails its XXH3 "
                    f"checksum (stored {stored:#018x}, computed {got:#018x}): the file is damaged; "
                    "Journal(path, verify=False) reads it without checking")

    def _collect(self, start, msg_type, min_length):
        """Intact frames of one type, read up to the end as of this call:
        ``(headers, payload bytes (n, min_length))``; sets ``self.lost``."""
        it = Frames(self, start, self.last_published() + 1)
        hs, ps = [], []
        for headers, payloads in it.batches():
            keep = (headers["msg_type"] == msg_type) & (headers["length"] >= min_length)
            if keep.any():
                hs.append(headers[keep])
                ps.append(np.ascontiguousarray(payloads[keep][:, :min_length]))
        self.lost = it.lost
        if it.lost:
            warnings.warn(f"journal {self.path}: {it.lost} frame(s) lost (overwritten before they were "
                          f"read; first gaps {it.gaps[:3]})", LostFramesWarning, stacklevel=3)
        if not hs:
            return np.empty(0, fmt.FRAME_HEADER), np.empty((0, min_length), np.uint8)
        return np.concatenate(hs), np.concatenate(ps)

    def _messages(self, start, msg_type, dtype):
        if self.max_payload < dtype.itemsize:
            headers, raw = np.empty(0, fmt.FRAME_HEADER), np.empty((0, dtype.itemsize), np.uint8)
        else:
            headers, raw = self._collect(start, msg_type, dtype.itemsize)
        msgs = raw.view(dtype).reshape(-1)
        out = np.empty(len(msgs), np.dtype([("sequence", "<u8"), ("gen_time", "<i8")] + dtype.descr))
        out["sequence"], out["gen_time"] = headers["sequence"], headers["gen_time"]
        for name in dtype.names:
            out[name] = msgs[name]
        return out

    def depth(self, start=None, as_frame=False):
        """Depth frames (type 101) from ``start`` to the current end.

        Returns a numpy structured array: ``sequence``, ``gen_time`` (frame
        header) and the ``sigrun_depth`` fields (``bid_price`` etc. are
        ``(10,)`` sub-arrays, level 0 the best); with ``as_frame=True`` a pandas
        DataFrame with one column per level (``bid_price_0`` ...)."""
        rows = self._messages(start, fmt.MSG_DEPTH, fmt.DEPTH)
        return _to_frame(rows) if as_frame else rows

    def trades(self, start=None, as_frame=False):
        """Trade frames (type 103) from ``start`` to the current end: a numpy
        structured array (``sequence``, ``gen_time`` and the ``sigrun_trade``
        fields), or a pandas DataFrame with ``as_frame=True``."""
        rows = self._messages(start, fmt.MSG_TRADE, fmt.TRADE)
        return _to_frame(rows) if as_frame else rows

    def factor_records(self, start=None):
        """Factor batches (type 202) flattened to one row per value, in
        publication order: a numpy structured array of ``format.FACTOR_ROW``
        (``sequence`` of the signals frame, ``source_sequence``,
        ``source_receive_time_ns``, ``publish_time_ns``, ``engine``, ``factor``,
        ``instrument`` as bytes, ``value``). A frame whose length does not
        match its count is skipped with a warning, as ``for_each_factor`` does."""
        if self.max_payload < fmt.FACTOR_BATCH.itemsize:
            return np.empty(0, fmt.FACTOR_ROW)
        it = Frames(self, start, self.last_published() + 1)
        parts, malformed = [], 0
        vsize = fmt.FACTOR_VALUE.itemsize
        for headers, payloads in it.batches():
            sel = headers["msg_type"] == fmt.MSG_FACTOR_BATCH
            headers, payloads = headers[sel], payloads[sel]
            batch = np.ascontiguousarray(payloads[:, :fmt.FACTOR_BATCH.itemsize]).view(fmt.FACTOR_BATCH).reshape(-1)
            count = batch["count"].astype(np.int64)
            good = (count >= 1) & (headers["length"] == fmt.FACTOR_BATCH.itemsize + vsize * count)
            malformed += int((~good).sum())
            headers, payloads, batch, count = headers[good], payloads[good], batch[good], count[good]
            # One row per value: frame index and the value's index inside its frame.
            frame = np.repeat(np.arange(len(count)), count)
            within = np.arange(len(frame)) - np.repeat(np.cumsum(count) - count, count)
            cols = fmt.FACTOR_BATCH.itemsize + vsize * within[:, None] + np.arange(vsize)
            values = np.ascontiguousarray(payloads[frame[:, None], cols]).view(fmt.FACTOR_VALUE).reshape(-1)
            rows = np.empty(len(frame), fmt.FACTOR_ROW)
            rows["sequence"] = headers["sequence"][frame]
            for name in ("source_sequence", "source_receive_time_ns", "publish_time_ns", "engine"):
                rows[name] = batch[name][frame]
            for name in ("factor", "instrument", "value"):
                rows[name] = values[name]
            parts.append(rows)
        self.lost = it.lost
        if it.lost:
            warnings.warn(f"journal {self.path}: {it.lost} frame(s) lost (overwritten before they were "
                          f"read; first gaps {it.gaps[:3]})", LostFramesWarning, stacklevel=2)
        if malformed:
            warnings.warn(f"journal {self.path}: {malformed} factor batch frame(s) skipped: length does "
                          "not match the count", stacklevel=2)
        return np.concatenate(parts) if parts else np.empty(0, fmt.FACTOR_ROW)

    def factors(self, start=None):
        """The factor values as a pandas DataFrame, one row per value, columns
        ``sequence``, ``source_sequence``, ``source_receive_time_ns``,
        ``publish_time_ns``, ``engine``, ``factor``, ``instrument`` (str) and
        ``value``. Needs pandas; :meth:`factor_records` is the numpy form."""
        return _to_frame(self.factor_records(start))


def _pandas():
    try:
        import pandas
    except ImportError:
        raise ImportError("sigrun_journal: DataFrames need pandas (Debian: apt-get install python3-pandas); "
                          "without it use Journal.depth()/trades()/factor_records(), which return numpy "
                          "arrays") from None
    return pandas


def _to_frame(rows):
    """A structured array as a DataFrame: byte strings decoded, (n,) sub-array
    fields split into ``<name>_0 .. <name>_<n-1>`` columns."""
    pd = _pandas()
    cols = {}
    for name in rows.dtype.names:
        col = rows[name]
        if col.dtype.kind == "S":
            cols[name] = np.char.decode(col, "ascii")
        elif col.ndim == 2:
            for level in range(col.shape[1]):
                cols[f"{name}_{level}"] = col[:, level]
        else:
            cols[name] = col
    return pd.DataFrame(cols)
