// Reads the dynamic symbol table (.dynsym) of an ELF64 shared object: what a
// library exports to the dynamic linker, which is what visibility,
// -fno-gnu-unique and the version script of sigrun_add_plugin() control.
#pragma once

#include <elf.h>

#include <cstring>
#include <fstream>
#include <iterator>
#include <stdexcept>
#include <string>
#include <vector>

namespace sigrun::sdk_test {

struct DynamicSymbol {
    std::string name;
    unsigned char binding;     // STB_LOCAL, STB_GLOBAL, STB_WEAK, STB_GNU_UNIQUE
    unsigned char visibility;  // STV_DEFAULT, STV_HIDDEN, ...
    bool defined;              // false for symbols the library imports
};

inline std::vector<DynamicSymbol> read_dynamic_symbols(const std::string& path) {
    std::ifstream file(path, std::ios::binary);
    if (!file) {
        throw std::runtime_error("cannot open " + path);
    }
    const std::vector<char> image((std::istreambuf_iterator<char>(file)), std::istreambuf_iterator<char>());

    // Copies a T out of the image at `offset`, checking bounds (memcpy: the
    // image has no alignment guarantee).
    const auto read_at = [&]<class T>(std::size_t offset, T& out) {
        if (offset > image.size() || image.size() - offset < sizeof(T)) {
            throw std::runtime_error(path + ": truncated ELF file");
        }
        std::memcpy(&out, image.data() + offset, sizeof(T));
    };

    Elf64_Ehdr header{};
    read_at(0, header);
    if (std::memcmp(header.e_ident, ELFMAG, SELFMAG) != 0 || header.e_ident[EI_CLASS] != ELFCLASS64) {
        throw std::runtime_error(path + ": not an ELF64 file");
    }

    std::vector<Elf64_Shdr> sections(header.e_shnum);
    for (std::size_t i = 0; i < sections.size(); ++i) {
        read_at(header.e_shoff + i * sizeof(Elf64_Shdr), sections[i]);
    }

    std::vector<DynamicSymbol> symbols;
    for (const Elf64_Shdr& section : sections) {
        if (section.sh_type != SHT_DYNSYM) {
            continue;
        }
        if (section.sh_link >= sections.size()) {
            throw std::runtime_error(path + ": .dynsym names a missing string table");
        }
        const Elf64_Shdr& strings = sections[section.sh_link];
        const std::size_t count = section.sh_size / sizeof(Elf64_Sym);
        for (std::size_t i = 1; i < count; ++i) {  // entry 0 is the reserved null symbol
            Elf64_Sym symbol{};
            read_at(section.sh_offset + i * sizeof(Elf64_Sym), symbol);
            if (strings.sh_offset + symbol.st_name >= image.size()) {
                throw std::runtime_error(path + ": symbol name out of bounds");
            }
            const std::size_t name_offset = strings.sh_offset + symbol.st_name;
            const char* name = image.data() + name_offset;
            symbols.push_back(DynamicSymbol{
                std::string(name, strnlen(name, image.size() - name_offset)),
                static_cast<unsigned char>(ELF64_ST_BIND(symbol.st_info)),
                static_cast<unsigned char>(ELF64_ST_VISIBILITY(symbol.st_other)),
                symbol.st_shndx != SHN_UNDEF,
            });
        }
    }
    return symbols;
}

}  // namespace sigrun::sdk_test
