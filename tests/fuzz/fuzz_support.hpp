// Shared by the libFuzzer targets in tests/fuzz: a private scratch folder
// for the files a target writes, and a quiet logger.
#pragma once

#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <system_error>

#include <spdlog/spdlog.h>

namespace sigrun::fuzz {

// A folder created once per fuzzing process and removed at a normal exit
// (not after a crash: run.sh puts it under $SIGRUN_FUZZ_SCRATCH_ROOT and
// removes that). Otherwise on tmpfs (/dev/shm) when there is one: every
// input writes and maps files, and a disk-backed folder would make that the
// bottleneck.
inline const std::filesystem::path& scratch_dir() {
    // Never destroyed, so that the atexit cleanup below can still read it.
    static const std::filesystem::path* const dir = [] {
        std::error_code ec;
        std::filesystem::path root = "/dev/shm";
        if (const char* given = std::getenv("SIGRUN_FUZZ_SCRATCH_ROOT"); given != nullptr && *given != '\0') {
            root = given;
        } else if (!std::filesystem::is_directory(root, ec) || ::access(root.c_str(), W_OK) != 0) {
            root = std::filesystem::temp_directory_path();
        }
        std::string pattern = (root / "sigrun-fuzz-XXXXXX").string();
        if (::mkdtemp(pattern.data()) == nullptr) {
            std::perror("sigrun fuzz: mkdtemp");
            std::abort();
        }
        return new std::filesystem::path(pattern);
    }();
    // Only the folder is removed at exit: objects that map files in it
    // (journals, plugin copies) are deliberately never destroyed, see
    // fuzz_frame_validation.cpp. Unlinking a mapped file is harmless.
    static const bool cleanup_registered = [] {
        return std::atexit([] {
            std::error_code ignored;
            std::filesystem::remove_all(*dir, ignored);
        }) == 0;
    }();
    (void)cleanup_registered;
    return *dir;
}

// Engines and the runner log through spdlog; at tens of thousands of inputs
// a second that output would dominate the run.
inline void quiet_logging() { spdlog::set_level(spdlog::level::off); }

}  // namespace sigrun::fuzz
