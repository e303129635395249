#include "plugin_inspect.hpp"

#include <dlfcn.h>
#include <elf.h>
#include <stdlib.h>

#include <cstring>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "plugin_library.hpp"

namespace sigrun::runner {
namespace {

struct ElfFacts {
    bool is_elf = false;
    std::vector<std::string> exported;  // defined, default-visible dynamic symbols
    std::vector<std::string> unique;    // STB_GNU_UNIQUE
    bool nodelete = false;              // DF_1_NODELETE in DT_FLAGS_1
};

ElfFacts read_elf(const std::filesystem::path& path) {
    ElfFacts facts;
    std::ifstream file(path, std::ios::binary);
    const std::vector<char> image((std::istreambuf_iterator<char>(file)), std::istreambuf_iterator<char>());
    auto read_at = [&]<class T>(std::size_t offset, T& out) {
        if (offset > image.size() || image.size() - offset < sizeof(T)) return false;
        std::memcpy(&out, image.data() + offset, sizeof(T));
        return true;
    };
    Elf64_Ehdr header{};
    if (!read_at(0, header) || std::memcmp(header.e_ident, ELFMAG, SELFMAG) != 0 ||
        header.e_ident[EI_CLASS] != ELFCLASS64) {
        return facts;
    }
    facts.is_elf = true;
    std::vector<Elf64_Shdr> sections(header.e_shnum);
    for (std::size_t i = 0; i < sections.size(); ++i) {
        if (!read_at(header.e_shoff + i * sizeof(Elf64_Shdr), sections[i])) return facts;
    }
    for (const Elf64_Shdr& section : sections) {
        if (section.sh_type == SHT_DYNAMIC) {
            for (std::size_t i = 0; i < section.sh_size / sizeof(Elf64_Dyn); ++i) {
                Elf64_Dyn entry{};
                if (!read_at(section.sh_offset + i * sizeof(Elf64_Dyn), entry)) break;
                if (entry.d_tag == DT_FLAGS_1 && (entry.d_un.d_val & DF_1_NODELETE) != 0) facts.nodelete = true;
            }
        }
        if (section.sh_type != SHT_DYNSYM || section.sh_link >= sections.size()) continue;
        const Elf64_Shdr& strings = sections[section.sh_link];
        for (std::size_t i = 1; i < section.sh_size / sizeof(Elf64_Sym); ++i) {
            Elf64_Sym symbol{};
            if (!read_at(section.sh_offset + i * sizeof(Elf64_Sym), symbol)) break;
            const std::size_t at = strings.sh_offset + symbol.st_name;
            if (at >= image.size() || symbol.st_shndx == SHN_UNDEF) continue;
            const std::string name(image.data() + at, strnlen(image.data() + at, image.size() - at));
            if (ELF64_ST_BIND(symbol.st_info) == STB_GNU_UNIQUE) facts.unique.push_back(name);
            if (ELF64_ST_BIND(symbol.st_info) != STB_LOCAL && ELF64_ST_VISIBILITY(symbol.st_other) == STV_DEFAULT) {
                facts.exported.push_back(name);
            }
        }
    }
    return facts;
}

std::string type_name(std::int32_t type) {
    switch (type) {
        case SIGRUN_MSG_DEPTH: return fmt::format("depth ({})", type);
        case SIGRUN_MSG_TRADE: return fmt::format("trade ({})", type);
        default: return fmt::format("unknown ({})", type);
    }
}

// A folder for the verdict's private copy, removed when done.
struct TempDir {
    std::filesystem::path path;
    TempDir() {
        std::string pattern = (std::filesystem::temp_directory_path() / "sigrun-inspect-XXXXXX").string();
        if (::mkdtemp(pattern.data()) != nullptr) path = pattern;
    }
    ~TempDir() {
        std::error_code ec;
        if (!path.empty()) std::filesystem::remove_all(path, ec);
    }
};

}  // namespace

int inspect_plugin(const std::filesystem::path& library, std::FILE* out, std::FILE* err) {
    const std::string name = library.string();
    std::error_code ec;
    if (!std::filesystem::is_regular_file(library, ec)) {
        fmt::print(err, "sigrun inspect: {}: no such file; give the path of a plugin library\n", name);
        return kInspectNotAPlugin;
    }
    const ElfFacts elf = read_elf(library);
    if (!elf.is_elf) {
        fmt::print(err, "sigrun inspect: {}: not a plugin (not a 64-bit ELF shared library)\n", name);
        return kInspectNotAPlugin;
    }
    // The plugin's own description, read with the same care as the loader:
    // nothing past the struct size it reports, no field before the major.
    void* handle = ::dlopen(library.c_str(), RTLD_NOW | RTLD_LOCAL);
    if (handle == nullptr) {
        const char* e = ::dlerror();
        fmt::print(err, "sigrun inspect: {}: not a plugin (dlopen failed: {})\n", name, e != nullptr ? e : "?");
        return kInspectNotAPlugin;
    }
    struct Close {
        void* h;
        ~Close() { ::dlclose(h); }
    } close{handle};
    auto* info_fn = reinterpret_cast<sigrun_plugin_info_fn>(::dlsym(handle, "signal_plugin_info"));
    const sigrun_plugin_info* info = info_fn != nullptr ? info_fn() : nullptr;
    if (info == nullptr) {
        fmt::print(err, "sigrun inspect: {}: not a plugin (no signal_plugin_info, or it returned NULL)\n", name);
        return kInspectNotAPlugin;
    }
    fmt::print(out, "library        {}\n", name);
    fmt::print(out, "abi            {}.{} (this runner: {}.{})\n", info->abi_major, info->abi_minor,
               SIGRUN_ABI_VERSION_MAJOR, SIGRUN_ABI_VERSION_MINOR);
    if (info->abi_major == SIGRUN_ABI_VERSION_MAJOR && info->struct_size >= offsetof(sigrun_plugin_info, state_version)) {
        const bool has_id = info->struct_size >= offsetof(sigrun_plugin_info, plugin_id) + sizeof(const char*) &&
                            info->plugin_id != nullptr;
        fmt::print(out, "plugin id      {}\n", has_id ? std::string(info->plugin_id, strnlen(info->plugin_id, 256))
                                                      : "(none: identified by its name)");
        fmt::print(out, "name           {}\n", info->name != nullptr ? info->name : "(null)");
        fmt::print(out, "version        {}\n", info->version != nullptr ? info->version : "(null)");
        fmt::print(out, "handoff        {}\n", handoff_name(info->handoff));
        fmt::print(out, "state version  {}\n", info->struct_size >= offsetof(sigrun_plugin_info, reserved)
                                                    ? (info->state_version == 0 ? std::string("0 (no state carried)")
                                                                                : std::to_string(info->state_version))
                                                    : std::string("?"));
        std::string types = "every type (declares none)";
        if (info->struct_size >= offsetof(sigrun_plugin_info, reserved1) && info->message_types != nullptr &&
            info->message_type_count <= 64) {
            types.clear();
            for (std::uint32_t i = 0; i < info->message_type_count; ++i) {
                types += (types.empty() ? "" : ", ") + type_name(info->message_types[i]);
            }
        }
        fmt::print(out, "message types  {}\n", types);
    }
    std::string exported, others;
    for (const std::string& symbol : elf.exported) {
        exported += (exported.empty() ? "" : " ") + symbol;
        if (symbol.rfind("signal_", 0) != 0) others += (others.empty() ? "" : " ") + symbol;
    }
    fmt::print(out, "exports        {}\n", exported);
    if (!others.empty()) {
        fmt::print(out, "  not signal_* {} (build with sigrun_add_plugin: hidden visibility and a version script)\n",
                   others);
    }
    std::string unique;
    for (const std::string& symbol : elf.unique) unique += (unique.empty() ? "" : " ") + symbol;
    fmt::print(out, "unique symbols {}\n", unique.empty() ? "none" : unique + " (keep it mapped after dlclose: "
                                                                            "build with -fno-gnu-unique)");
    std::string mapped;
    if (!elf.unique.empty()) mapped += "STB_GNU_UNIQUE symbols";
    if (elf.nodelete) mapped += std::string(mapped.empty() ? "" : ", ") + "DF_1_NODELETE (linked with -z nodelete)";
    fmt::print(out, "stays mapped   {}\n",
               mapped.empty() ? "nothing in the file keeps it (threads and thread_local destructors still can)" : mapped);

    TempDir private_dir;
    try {
        const auto loaded = PluginLibrary::load(library, private_dir.path);
        fmt::print(out, "verdict        loads into this runner (ABI {}.{}, {} handoff)\n", SIGRUN_ABI_VERSION_MAJOR,
                   SIGRUN_ABI_VERSION_MINOR, handoff_name(kRunnerHandoff));
        return kInspectLoads;
    } catch (const PluginError& e) {
        fmt::print(out, "verdict        refused: {}\n", e.what());
        return kInspectRefused;
    }
}

}  // namespace sigrun::runner
