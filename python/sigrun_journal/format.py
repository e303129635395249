"""The on-disk layout of a sigrun journal (format 3) and of the messages in it.

Mirrors ``journal/include/sigrun/journal/format.hpp`` (file and frame headers)
and ``signal_sdk/include/sigrun/messages.h`` (payloads) as numpy structured
dtypes with explicit offsets, little-endian, so that a dtype can view the
mapped file directly. ``journal/PROTOCOL.md`` is the reference; the sizes
below are checked against it when this module is imported.
"""

import numpy as np

MAGIC = b"SIGRUNJ\0"
FORMAT_VERSION = 3
FILE_HEADER_SIZE = 4096
FRAME_HEADER_SIZE = 64
MIN_SLOT_SIZE = 128
MAX_SLOT_SIZE = 1 << 20
MAX_CAPACITY = 1 << 24
MAX_SEQUENCE = 1 << 62   # kMaxSequence: a sequence past it is damage

MSG_DEPTH = 101
MSG_TRADE = 103
MSG_FACTOR_BATCH = 202

DEPTH_LEVELS = 10

# FileHeader: only the fields a reader uses (the rest is padding to 4096).
FILE_HEADER = np.dtype({
    "names": ["magic", "format_version", "header_size", "slot_size", "capacity",
              "created_time", "last_sequence_hint", "owner_pid", "open_count"],
    "formats": ["S8", "<u4", "<u4", "<u4", "<u8", "<i8", "<u8", "<i4", "<u8"],
    "offsets": [0, 8, 12, 16, 24, 32, 64, 128, 136],
    "itemsize": 144,
})

# FrameHeader, 64 bytes, at the start of every slot.
FRAME_HEADER = np.dtype({
    "names": ["sequence", "pin_adds", "length", "msg_type", "pin_drops", "gen_time", "trigger_time",
              "checksum", "shared_pin_adds", "shared_pin_drops"],
    "formats": ["<u8", "<u4", "<u4", "<i4", "<u4", "<i8", "<i8", "<u8", "<u4", "<u4"],
    "offsets": [0, 8, 12, 16, 20, 24, 32, 40, 48, 52],
    "itemsize": FRAME_HEADER_SIZE,
})


# sigrun_depth (type 101), 384 bytes.
DEPTH = np.dtype([
    ("instrument", "S32"), ("exchange", "S16"),
    ("exchange_time_ns", "<i8"), ("receive_time_ns", "<i8"),
    ("bid_price", "<f8", (DEPTH_LEVELS,)), ("bid_size", "<f8", (DEPTH_LEVELS,)),
    ("ask_price", "<f8", (DEPTH_LEVELS,)), ("ask_size", "<f8", (DEPTH_LEVELS,)),
])

# sigrun_trade (type 103), 96 bytes.
TRADE = np.dtype([
    ("instrument", "S32"), ("exchange", "S16"),
    ("exchange_time_ns", "<i8"), ("receive_time_ns", "<i8"),
    ("price", "<f8"), ("size", "<f8"), ("trade_id", "<i8"),
    ("aggressor_side", "<i4"), ("reserved", "<u4"),
])

# sigrun_factor_batch (type 202 header), 64 bytes, then `count` FACTOR_VALUEs.
FACTOR_BATCH = np.dtype([
    ("engine", "S32"), ("source_sequence", "<u8"), ("source_receive_time_ns", "<i8"),
    ("publish_time_ns", "<i8"), ("count", "<u4"), ("reserved", "<u4"),
])

# sigrun_factor_value, 72 bytes.
FACTOR_VALUE = np.dtype([("factor", "S32"), ("instrument", "S32"), ("value", "<f8")])

# What Journal.factor_records() returns: one row per value, joined with its
# batch header and the signals frame's sequence (like sigrun_factor in C).
FACTOR_ROW = np.dtype([
    ("sequence", "<u8"), ("source_sequence", "<u8"), ("source_receive_time_ns", "<i8"),
    ("publish_time_ns", "<i8"), ("engine", "S32"), ("factor", "S32"),
    ("instrument", "S32"), ("value", "<f8"),
])

# Layout pins, as the static_asserts of format.hpp and messages.h.
assert FRAME_HEADER.itemsize == 64 and FRAME_HEADER.fields["checksum"][1] == 40
assert FILE_HEADER.fields["last_sequence_hint"][1] == 64
assert DEPTH.itemsize == 384 and DEPTH.fields["bid_price"][1] == 64 and DEPTH.fields["ask_size"][1] == 304
assert TRADE.itemsize == 96 and TRADE.fields["price"][1] == 64 and TRADE.fields["aggressor_side"][1] == 88
assert FACTOR_BATCH.itemsize == 64 and FACTOR_BATCH.fields["count"][1] == 56
assert FACTOR_VALUE.itemsize == 72 and FACTOR_VALUE.fields["value"][1] == 64
