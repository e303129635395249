// fuzz_journal_open: a journal file with arbitrary bytes must be refused with
// a JournalError or read safely — by a read-only Reader (a tool, another
// process) and by an owner (Writer, whose open runs recovery), then by
// readers of the recovered file. Never a crash, a hang or an unbounded
// allocation.
//
// Input: the whole file. When it starts with a plausible header (the magic
// and a geometry whose file is at most kMaxFileBytes), the file is also
// zero-extended to the size the header asks for, so that short inputs still
// reach recovery and the readers with any geometry.
#include <fcntl.h>
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <span>
#include <vector>

#include "fuzz_support.hpp"
#include "sigrun/journal/checksum.hpp"
#include "sigrun/journal/error.hpp"
#include "sigrun/journal/format.hpp"
#include "sigrun/journal/reader.hpp"
#include "sigrun/journal/writer.hpp"

namespace {

namespace fs = std::filesystem;
namespace jn = sigrun::journal;

// Larger files are skipped for the owner pass: zero-filling and scanning them
// would only make the fuzzer slow.
constexpr std::uint64_t kMaxFileBytes = 16ull << 20;

void write_file(const fs::path& path, const std::uint8_t* data, std::size_t size) {
    const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) {
        std::perror("fuzz_journal_open: open");
        std::abort();
    }
    std::size_t done = 0;
    while (done < size) {
        const ssize_t n = ::write(fd, data + done, size - done);
        if (n <= 0) {
            std::perror("fuzz_journal_open: write");
            std::abort();
        }
        done += static_cast<std::size_t>(n);
    }
    ::close(fd);
}

// A reader of a file nobody writes must run out of frames: at most one
// frame or lost result per slot, plus a lost result at the start and at the
// end. More means it loops.
void check_progress(std::uint64_t reads, const jn::Reader& reader) {
    if (reads > 2 * reader.geometry().capacity + 8) {
        std::fprintf(stderr, "fuzz_journal_open: reader still not done after %llu reads of a journal of %llu "
                     "slots (position %llu, last published %llu): it loops\n",
                     static_cast<unsigned long long>(reads),
                     static_cast<unsigned long long>(reader.geometry().capacity),
                     static_cast<unsigned long long>(reader.position()),
                     static_cast<unsigned long long>(reader.last_published()));
        std::abort();
    }
}

// Reads every frame with copies, verifying each checksum the way a careful
// reader would (the result does not matter, the reads do).
std::uint64_t drain_copying(jn::Reader& reader) {
    std::vector<std::byte> buffer(reader.geometry().max_payload());
    std::uint64_t frames = 0;
    for (std::uint64_t reads = 0;; ++reads) {
        check_progress(reads, reader);
        const jn::ReadResult r = reader.next(buffer);
        if (r.status == jn::ReadStatus::empty) break;
        if (r.status != jn::ReadStatus::frame) continue;
        if (r.info.length > buffer.size()) std::abort();  // next() promised it fits
        ++frames;
        (void)jn::frame_checksum(r.info.sequence, r.info.length, r.info.msg_type, r.info.gen_time,
                                 r.info.trigger_time, buffer.data());
    }
    return frames;
}

// Reads every frame in place, as the runner's dispatcher does.
void drain_in_place(jn::Reader& reader) {
    for (std::uint64_t reads = 0;; ++reads) {
        check_progress(reads, reader);
        const jn::InPlaceRead r = reader.next_in_place();
        if (r.status == jn::ReadStatus::empty) break;
        if (r.status != jn::ReadStatus::frame) continue;
        if (r.info.length > reader.geometry().max_payload()) std::abort();  // next_in_place() promised it fits
        (void)jn::frame_checksum(r.info.sequence, r.info.length, r.info.msg_type, r.info.gen_time,
                                 r.info.trigger_time, r.payload);
    }
}

// The positioning calls, with values taken from the input.
void seek_around(jn::Reader& reader, std::int64_t time, std::uint64_t sequence) {
    std::vector<std::byte> buffer(reader.geometry().max_payload());
    reader.seek_time(time);
    (void)reader.next(buffer);
    reader.seek_sequence(sequence);
    (void)reader.next(buffer);
    reader.seek_latest();
    (void)reader.next(buffer);
    reader.seek_end();
    (void)reader.next(buffer);
}

template <class T>
T load_at(const std::uint8_t* data, std::size_t size, std::size_t offset) {
    T value{};
    if (offset + sizeof value <= size) std::memcpy(&value, data + offset, sizeof value);
    return value;
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
    sigrun::fuzz::quiet_logging();
    (void)sigrun::fuzz::scratch_dir();
    return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const fs::path path = sigrun::fuzz::scratch_dir() / "md.journal";
    write_file(path, data, size);
    // Input bytes past the file header's fields steer the seeks.
    const auto seek_time = load_at<std::int64_t>(data, size, 40 + 8);
    const auto seek_seq = load_at<std::uint64_t>(data, size, 80);

    // 1. As it is, read-only.
    try {
        jn::Reader reader(path);
        drain_copying(reader);
        seek_around(reader, seek_time, seek_seq);
    } catch (const jn::JournalError&) {
    }

    // 2. As its owner, with the geometry its header claims.
    jn::FileHeader header{};
    if (size < sizeof header) return 0;
    std::memcpy(&header, data, sizeof header);
    if (std::memcmp(header.magic, jn::kMagic, sizeof jn::kMagic) != 0) return 0;
    const jn::Geometry geometry{header.capacity, header.slot_size};
    const bool bounded = geometry.capacity <= jn::kMaxCapacity && geometry.slot_size <= jn::kMaxSlotSize &&
                         geometry.file_size() <= kMaxFileBytes;
    if (bounded && geometry.file_size() > size) {
        fs::resize_file(path, geometry.file_size());
    } else if (!bounded && geometry.capacity != 0 && geometry.slot_size != 0 &&
               geometry.capacity <= jn::kMaxCapacity && geometry.slot_size <= jn::kMaxSlotSize) {
        return 0;  // a valid-looking geometry too large to bother with
    }
    try {
        jn::Writer writer(path, jn::WriterOptions{geometry, std::chrono::nanoseconds(0)});
        {
            jn::Reader in_place(writer.mapping());
            drain_in_place(in_place);
        }
        // The recovered journal must take new frames where the old ones end.
        const std::byte payload[16]{};
        writer.write(101, payload);  // SIGRUN_MSG_DEPTH; the type is not checked here
        jn::Reader copying(writer.mapping());
        drain_copying(copying);
        // And a separate read-only mapping sees the same.
        jn::Reader other(path);
        drain_copying(other);
        seek_around(other, seek_time, seek_seq);
    } catch (const jn::JournalError&) {
    }
    return 0;
}
