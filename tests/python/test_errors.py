"""Files sigrun_journal must refuse, and damage it must detect."""

import shutil
import struct

import numpy as np
import pytest

import sigrun_journal
from sigrun_journal import ChecksumError, Journal, JournalError
from sigrun_journal import journal as journal_module


def write_header(path, magic=b"SIGRUNJ\0", version=3, capacity=16, slot_size=128, size=None):
    header = bytearray(4096)
    struct.pack_into("<8sIIIIQ", header, 0, magic, version, 4096, slot_size, 0, capacity)
    data = bytes(header) + bytes(capacity * slot_size)
    path.write_bytes(data if size is None else data[:size])
    return path


@pytest.mark.parametrize("version", [1, 2])
def test_older_version_journal_is_refused_naming_file_and_fix(tmp_path, version):
    path = write_header(tmp_path / "old.journal", version=version)
    with pytest.raises(JournalError) as e:
        Journal(path)
    message = str(e.value)
    assert "\n" not in message
    assert str(path) in message and f"format {version}" in message and "reads format 3" in message
    assert "move the file aside or delete it" in message


def test_version_1_copy_of_a_real_journal_is_refused(demo_run, tmp_path):
    path = tmp_path / "md.journal"
    shutil.copyfile(demo_run.md, path)
    with open(path, "r+b") as f:
        f.seek(8)
        f.write(struct.pack("<I", 1))
    with pytest.raises(JournalError, match=r"older sigrun \(format 1\)"):
        Journal(path)


def test_newer_version_is_refused(tmp_path):
    with pytest.raises(JournalError, match=r"newer sigrun \(format 4\)"):
        Journal(write_header(tmp_path / "new.journal", version=4))


@pytest.mark.parametrize("content", [b"", b"SIGRUN", b"timestamp,price,size\n1,2,3\n" * 300, b"\0" * 8192],
                         ids=["empty", "short", "csv", "zeros"])
def test_not_a_journal_is_refused(tmp_path, content):
    path = tmp_path / "data.csv"
    path.write_bytes(content)
    with pytest.raises(JournalError) as e:
        Journal(path)
    assert str(e.value) == (f"{path} is not a sigrun journal (bad magic); pass a md.journal or "
                            "signals.journal written by the sigrun runner")


def test_missing_file(tmp_path):
    with pytest.raises(JournalError, match=r"nope\.journal: open failed: No such file"):
        Journal(tmp_path / "nope.journal")


def test_truncated_and_damaged_headers(tmp_path):
    with pytest.raises(JournalError, match=r"is truncated: \d+ bytes, its header needs 6144"):
        Journal(write_header(tmp_path / "a.journal", size=5000))
    with pytest.raises(JournalError, match="capacity 12 is not a power of two"):
        Journal(write_header(tmp_path / "b.journal", capacity=12))
    with pytest.raises(JournalError, match="slot size 100"):
        Journal(write_header(tmp_path / "c.journal", slot_size=100))


def test_empty_journal_reads_nothing(tmp_path):
    with Journal(write_header(tmp_path / "empty.journal")) as j:
        assert j.last_published() == 0
        assert list(j.frames()) == [] and len(j.trades()) == 0 and len(j.factor_records()) == 0
        assert len(j.depth()) == 0      # 64 payload bytes: a depth can't fit


def flip_payload_byte(src, dst, *, frame_from_end=10, byte=100):
    """Copies journal `src` to `dst` with one payload byte of an intact frame
    inverted; returns that frame's sequence."""
    shutil.copyfile(src, dst)
    with Journal(dst, verify=False) as j:
        seq = j.last_published() - frame_from_end
        offset = 4096 + ((seq - 1) % j.capacity) * j.slot_size + 64 + byte
    with open(dst, "r+b") as f:
        f.seek(offset)
        b = f.read(1)
        f.seek(offset)
        f.write(bytes([b[0] ^ 0xFF]))
    return seq


def need_xxhash():
    # Not a skip: the test command installs python3-xxhash (tools/setup-debian.sh).
    assert sigrun_journal.HAVE_XXHASH, "checksums need python3-xxhash: run tools/setup-debian.sh"


def test_flipped_payload_byte_is_detected(demo_run, tmp_path):
    need_xxhash()
    path = tmp_path / "md.journal"
    seq = flip_payload_byte(demo_run.md, path)
    with Journal(path) as j:
        assert j.verifies_checksums
        with pytest.raises(ChecksumError, match=rf"frame {seq} \(slot \d+\) fails its XXH3 checksum"):
            list(j.frames())
        with pytest.raises(ChecksumError):
            j.depth()
        with pytest.raises(ChecksumError):
            j.trades()
    # verify=False reads it anyway, and the damage is visible in the data.
    with Journal(path, verify=False) as j, Journal(demo_run.md) as good:
        bad = {f.sequence: f.payload for f in j.frames()}
        ok = {f.sequence: f.payload for f in good.frames()}
    assert bad.keys() == ok.keys()
    assert [s for s in ok if ok[s] != bad[s]] == [seq]


def test_flipped_factor_batch_byte_is_detected(demo_run, tmp_path):
    need_xxhash()
    path = tmp_path / "signals.journal"
    seq = flip_payload_byte(demo_run.signals, path, byte=70)   # inside the first value's name
    with Journal(path) as j, pytest.raises(ChecksumError, match=f"frame {seq} "):
        j.factor_records()


def test_checksums_match_every_frame(demo_run):
    need_xxhash()
    with Journal(demo_run.signals, verify=True) as j:
        n = sum(1 for _ in j.frames())
    assert n > 1000


def test_without_xxhash_verification_is_skipped_or_refused(demo_run, monkeypatch):
    monkeypatch.setattr(journal_module, "HAVE_XXHASH", False)
    monkeypatch.setattr(journal_module, "_xxhash", None)
    with Journal(demo_run.md) as j:
        assert not j.verifies_checksums
        assert len(list(j.frames())) == j.capacity
    with pytest.raises(JournalError, match="apt-get install python3-xxhash"):
        Journal(demo_run.md, verify=True)


def test_without_pandas_the_error_says_what_to_install(demo_run, monkeypatch):
    import builtins
    real_import = builtins.__import__

    def no_pandas(name, *args, **kwargs):
        if name == "pandas" or name.startswith("pandas."):
            raise ImportError("No module named 'pandas'")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_pandas)
    with Journal(demo_run.signals) as j:
        with pytest.raises(ImportError, match="apt-get install python3-pandas"):
            j.factors()
        assert len(j.factor_records()) > 0          # numpy form still works


def test_zero_copy_views_of_the_ring(demo_run):
    with Journal(demo_run.md) as j:
        assert j.slots.dtype.itemsize == 64 and j.slots.strides == (j.slot_size,)
        assert not j.slots.flags.writeable and not j.slots.flags.owndata
        last = j.last_published()
        assert int(j.slots["sequence"][(last - 1) % j.capacity]) == last
        assert j.payloads.shape == (j.capacity, j.slot_size - 64)
        seqs = np.sort(j.slots["sequence"])
        assert seqs[0] == last - j.capacity + 1 and seqs[-1] == last
