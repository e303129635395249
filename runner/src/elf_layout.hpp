// runner/src/elf_layout.hpp — a pre-dlopen check that a plugin file holds
// every byte its ELF headers describe.
//
// Why: a deploy cut short (disk full, an interrupted copy, then renamed into
// place) leaves a file whose ELF and program headers are intact but whose
// segments end past the end of the file. glibc's dlopen maps them anyway and
// the process dies of SIGBUS on the first touch of the missing page, so such
// a file has to be refused before dlopen ever sees it.
#pragma once

#include <filesystem>
#include <string>

namespace sigrun::runner {

// Empty when the file is not a 64-bit ELF of this machine's byte order
// (dlopen gives the better message for those) or when every program header,
// loadable segment and the section header table lie inside the file;
// otherwise what is missing, e.g. "segment 3 ends at byte 14400 but the file
// has 4096 bytes".
[[nodiscard]] std::string elf_truncation(const std::filesystem::path& path);

}  // namespace sigrun::runner
