// process_resources.hpp — what a process holds that loading and unloading
// plugins could leak: mappings (/proc/self/maps), file descriptors
// (/proc/self/fd) and malloc'd bytes. Tests sample it after a warm-up and
// again after many load/unload cycles or swaps: "no growth per cycle".
#pragma once

#include <malloc.h>

#include <algorithm>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <string>
#include <system_error>
#include <vector>

namespace sigrun::testing {

struct ProcessResources {
    std::uint64_t maps_lines = 0;          // lines of /proc/self/maps
    std::uint64_t file_maps_lines = 0;     // of those, mappings of a file (a library, a journal)
    std::uint64_t fds = 0;                 // entries of /proc/self/fd
    // malloc'd and in use (mallinfo2 uordblks + hblkhd). Reads 0 under
    // valgrind and ASan, whose allocators replace glibc's: there the leak
    // checker is the heap check.
    std::uint64_t heap_bytes = 0;
    std::uint64_t private_copies_mapped = 0;  // distinct mapped files under `private_dir`

    static ProcessResources sample(const std::filesystem::path& private_dir) {
        ProcessResources r;
        std::vector<std::string> mapped_copies;
        {
            std::ifstream maps("/proc/self/maps");
            const std::string needle = private_dir.string() + "/";
            for (std::string line; std::getline(maps, line);) {
                ++r.maps_lines;
                // "address perms offset dev inode path": a file mapping has an
                // absolute path; anonymous ones have none or "[heap]" etc.
                const auto slash = line.find(" /");
                if (slash != std::string::npos) ++r.file_maps_lines;
                if (const auto at = line.find(needle); at != std::string::npos) {
                    const std::string path = line.substr(at);
                    if (std::find(mapped_copies.begin(), mapped_copies.end(), path) == mapped_copies.end()) {
                        mapped_copies.push_back(path);
                    }
                }
            }
        }
        r.private_copies_mapped = mapped_copies.size();
        std::error_code ec;
        for (auto it = std::filesystem::directory_iterator("/proc/self/fd", ec);
             !ec && it != std::filesystem::directory_iterator(); it.increment(ec)) {
            ++r.fds;
        }
        const struct mallinfo2 mi = ::mallinfo2();
        r.heap_bytes = mi.uordblks + mi.hblkhd;
        return r;
    }
};

// Entries in a folder (0 when it does not exist).
inline std::uint64_t files_in(const std::filesystem::path& dir) {
    std::error_code ec;
    std::uint64_t n = 0;
    for (auto it = std::filesystem::directory_iterator(dir, ec); !ec && it != std::filesystem::directory_iterator();
         it.increment(ec)) {
        ++n;
    }
    return n;
}

}  // namespace sigrun::testing
