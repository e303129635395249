#include "elf_layout.hpp"

#include <elf.h>

#include <bit>
#include <cstdint>
#include <cstring>
#include <fstream>
#include <vector>

#include <fmt/format.h>

namespace sigrun::runner {
namespace {

// [offset, offset + size) lies inside a file of `file_size` bytes, without
// overflowing on hostile header values.
bool inside(std::uint64_t offset, std::uint64_t size, std::uint64_t file_size) {
    return offset <= file_size && size <= file_size - offset;
}

bool native_elf64(const Elf64_Ehdr& h) {
    constexpr unsigned char kNativeData = std::endian::native == std::endian::little ? ELFDATA2LSB : ELFDATA2MSB;
    return std::memcmp(h.e_ident, ELFMAG, SELFMAG) == 0 && h.e_ident[EI_CLASS] == ELFCLASS64 &&
           h.e_ident[EI_DATA] == kNativeData;
}

}  // namespace

std::string elf_truncation(const std::filesystem::path& path) {
    std::ifstream in(path, std::ios::binary);
    std::error_code ec;
    const std::uint64_t file_size = std::filesystem::file_size(path, ec);
    if (!in || ec) return {};  // dlopen names the problem
    Elf64_Ehdr header{};
    if (!in.read(reinterpret_cast<char*>(&header), sizeof header)) {
        return file_size >= SELFMAG ? fmt::format("the ELF header needs {} bytes but the file has {}",
                                                  sizeof header, file_size)
                                    : std::string{};
    }
    if (!native_elf64(header)) return {};
    if (header.e_phentsize != sizeof(Elf64_Phdr)) {
        return fmt::format("program header size {} is not {}", header.e_phentsize, sizeof(Elf64_Phdr));
    }
    const std::uint64_t table = std::uint64_t{header.e_phnum} * sizeof(Elf64_Phdr);
    if (!inside(header.e_phoff, table, file_size)) {
        return fmt::format("the program headers end at byte {} but the file has {} bytes",
                           header.e_phoff + table, file_size);
    }
    std::vector<Elf64_Phdr> segments(header.e_phnum);
    in.seekg(static_cast<std::streamoff>(header.e_phoff));
    if (!in.read(reinterpret_cast<char*>(segments.data()), static_cast<std::streamsize>(table))) {
        return fmt::format("the program headers cannot be read from the {} byte file", file_size);
    }
    for (std::size_t i = 0; i < segments.size(); ++i) {
        const Elf64_Phdr& s = segments[i];
        if (s.p_type == PT_LOAD && !inside(s.p_offset, s.p_filesz, file_size)) {
            return fmt::format("segment {} ends at byte {} but the file has {} bytes", i, s.p_offset + s.p_filesz,
                               file_size);
        }
    }
    if (header.e_shoff != 0 &&
        !inside(header.e_shoff, std::uint64_t{header.e_shnum} * header.e_shentsize, file_size)) {
        return fmt::format("the section headers end at byte {} but the file has {} bytes",
                           header.e_shoff + std::uint64_t{header.e_shnum} * header.e_shentsize, file_size);
    }
    return {};
}

}  // namespace sigrun::runner
