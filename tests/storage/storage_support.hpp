// storage_support.hpp — what the storage tests check after a run: that a
// journal reads back intact, which files a failed run left. Spawning the
// tools is tests/support/spawned_process.hpp's (spawn_tool), with the fault
// shim in the child's environment.
#pragma once

#include <filesystem>
#include <string>
#include <system_error>
#include <vector>

#include "eventually.hpp"
#include "sigrun/journal/checksum.hpp"
#include "sigrun/journal/reader.hpp"
#include "spawned_process.hpp"
#include "text.hpp"

namespace sigrun::testing {

// Empty when the journal at `path` is absent or opens and every frame in it
// reads back intact (checksum); otherwise what is wrong.
inline std::string journal_damage(const std::filesystem::path& path) {
    if (!std::filesystem::exists(path)) return {};
    try {
        journal::Reader reader(path);
        std::vector<std::byte> buffer(reader.geometry().max_payload());
        for (auto r = reader.next(buffer); r.status != journal::ReadStatus::empty; r = reader.next(buffer)) {
            if (r.status != journal::ReadStatus::frame) continue;
            const auto& i = r.info;
            if (journal::frame_checksum(i.sequence, i.length, i.msg_type, i.gen_time, i.trigger_time,
                                        buffer.data()) != i.checksum) {
                return path.string() + ": frame " + std::to_string(i.sequence) + " fails its checksum";
            }
        }
    } catch (const std::exception& e) {
        return path.string() + ": " + e.what();
    }
    return {};
}

// Names of the files under `dir` (recursively) whose name contains `part`.
inline std::vector<std::string> files_containing(const std::filesystem::path& dir, const std::string& part) {
    std::vector<std::string> found;
    std::error_code ec;
    if (!std::filesystem::exists(dir, ec)) return found;
    for (const auto& e : std::filesystem::recursive_directory_iterator(dir, ec)) {
        if (e.path().filename().string().find(part) != std::string::npos) found.push_back(e.path().string());
    }
    return found;
}

}  // namespace sigrun::testing
