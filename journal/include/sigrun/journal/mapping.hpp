// sigrun/journal/mapping.hpp — one journal file, validated and mmap'd.
//
// Opening validates the header before anything is mapped writable, so a bad
// file (not a journal, wrong version, truncated, bad geometry) is reported
// and left untouched. The owner mapping (the writer's) also holds the
// single-writer lock: an flock() on the file, which the kernel drops when
// the owning process dies, so a crashed writer never locks the journal out.
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>

#include "sigrun/journal/format.hpp"

namespace sigrun::journal {

class Mapping {
public:
    // Maps an existing journal read-only: tools, other processes, readers
    // that never pin.
    [[nodiscard]] static std::shared_ptr<Mapping> open_read_only(const std::filesystem::path& path);

    // Creates the journal with `geometry` if the file does not exist, or
    // opens the existing one (whose geometry must equal `geometry`), maps it
    // read-write and takes the single-writer lock.
    [[nodiscard]] static std::shared_ptr<Mapping> open_owner(const std::filesystem::path& path,
                                                             Geometry geometry);

    ~Mapping();
    Mapping(const Mapping&) = delete;
    Mapping& operator=(const Mapping&) = delete;

    [[nodiscard]] const std::filesystem::path& path() const noexcept { return path_; }
    [[nodiscard]] const Geometry& geometry() const noexcept { return geometry_; }
    [[nodiscard]] bool writable() const noexcept { return writable_; }
    // True when this mapping created the file (rather than opening one).
    [[nodiscard]] bool created() const noexcept { return created_; }

    [[nodiscard]] FileHeader& header() const noexcept { return *reinterpret_cast<FileHeader*>(base_); }
    [[nodiscard]] FrameHeader& slot(std::uint64_t index) const noexcept {
        return *reinterpret_cast<FrameHeader*>(base_ + kFileHeaderSize + index * geometry_.slot_size);
    }
    [[nodiscard]] std::byte* payload(std::uint64_t index) const noexcept {
        return base_ + kFileHeaderSize + index * geometry_.slot_size + sizeof(FrameHeader);
    }
    // The slot whose payload area contains `p`, or nullopt when `p` does not
    // point into this journal's payloads. How a host maps an engine's `data`
    // pointer back to the frame it pins.
    [[nodiscard]] std::optional<std::uint64_t> slot_of_payload(const void* p) const noexcept;

    // Oldest sequence that can still be in the ring when `last` is the last
    // published one.
    [[nodiscard]] std::uint64_t oldest_possible(std::uint64_t last) const noexcept {
        return last >= geometry_.capacity ? last - geometry_.capacity + 1 : 1;
    }

private:
    Mapping() = default;

    std::filesystem::path path_;
    Geometry geometry_{};
    std::byte* base_ = nullptr;
    std::size_t size_ = 0;
    int fd_ = -1;
    bool writable_ = false;
    bool created_ = false;
};

// Throws JournalError(bad_geometry) unless `geometry` is one a journal may have.
void validate_geometry(const Geometry& geometry, const std::filesystem::path& path);

}  // namespace sigrun::journal
