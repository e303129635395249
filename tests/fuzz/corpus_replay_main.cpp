// corpus_replay_main: replays a fuzz target's committed corpus without
// libFuzzer, so that every seed and every regress-* input in
// tests/fuzz/corpus/<target>/ runs as an ordinary ctest test in the normal
// builds (gcc; release, zero-copy, asan, tsan, memcheck), not only when
// someone runs the fuzzer in the fuzz preset (clang). The project rule is
// that any crash found by fuzzing becomes a regression test: this is where
// that test runs (`ctest -L fuzz_corpus`, tests/fuzz/CMakeLists.txt).
//
//   fuzz_replay_<target> <dir or file>...
//
// Linked with one harness (fuzz_<target>.cpp), it calls LLVMFuzzerInitialize
// once and then LLVMFuzzerTestOneInput on every regular file under the
// given folders (recursively, as libFuzzer reads a corpus) and on every file
// given, in sorted order so that each run is the same. A given folder that is
// missing or holds no file fails the run: a moved or misnamed corpus must not
// pass as "nothing to replay". A harness crash (abort, a sanitizer report,
// valgrind's error exit code) fails the run by itself.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <memory>
#include <system_error>
#include <vector>

// Provided by the harness; LLVMFuzzerInitialize is optional, as in libFuzzer.
extern "C" int LLVMFuzzerInitialize(int* argc, char*** argv) __attribute__((weak));
extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size);

namespace fs = std::filesystem;

int main(int argc, char** argv) {
    if (argc < 2) {
        std::fprintf(stderr, "usage: %s <corpus dir or input file>...\n", argv[0]);
        return 2;
    }

    // Collect every input first, so that a bad argument fails before the
    // harness sets anything up.
    std::vector<fs::path> inputs;
    for (int i = 1; i < argc; ++i) {
        const fs::path given = argv[i];
        std::error_code ec;
        if (fs::is_regular_file(given, ec)) {
            inputs.push_back(given);
            continue;
        }
        if (!fs::is_directory(given, ec)) {
            std::fprintf(stderr, "%s: corpus %s does not exist (not a folder or a file)\n", argv[0], argv[i]);
            return 1;
        }
        std::vector<fs::path> found;
        for (auto it = fs::recursive_directory_iterator(given, ec); !ec && it != fs::recursive_directory_iterator();
             it.increment(ec)) {
            if (it->is_regular_file(ec)) found.push_back(it->path());
        }
        if (ec) {
            std::fprintf(stderr, "%s: cannot list corpus %s: %s\n", argv[0], argv[i], ec.message().c_str());
            return 1;
        }
        if (found.empty()) {
            std::fprintf(stderr, "%s: corpus folder %s holds no input file\n", argv[0], argv[i]);
            return 1;
        }
        std::sort(found.begin(), found.end());
        inputs.insert(inputs.end(), found.begin(), found.end());
    }

    if (LLVMFuzzerInitialize != nullptr) LLVMFuzzerInitialize(&argc, &argv);

    for (const fs::path& path : inputs) {
        std::ifstream in(path, std::ios::binary);
        std::error_code ec;
        const std::uintmax_t size = fs::file_size(path, ec);
        // A heap block of exactly the input's size, as libFuzzer passes it:
        // a read past the end is a heap overflow for ASan and valgrind.
        const auto data = std::make_unique_for_overwrite<std::uint8_t[]>(size);
        if (!in || ec ||
            !in.read(reinterpret_cast<char*>(data.get()), static_cast<std::streamsize>(size)) ||
            in.peek() != std::ifstream::traits_type::eof()) {
            std::fprintf(stderr, "%s: cannot read %s\n", argv[0], path.c_str());
            return 1;
        }
        // Printed (and flushed) before the call: when the harness crashes,
        // the last line names the input that crashed it.
        std::printf("replaying %s (%ju bytes)\n", path.c_str(), size);
        std::fflush(stdout);
        LLVMFuzzerTestOneInput(data.get(), static_cast<std::size_t>(size));
    }
    std::printf("%zu inputs replayed, no crash\n", inputs.size());
    return 0;
}
