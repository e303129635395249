#include "sigrun/market_data/file_spec.hpp"

#include "sigrun/market_data/data_error.hpp"

#include <sigrun/messages.h>

#include <cctype>
#include <string_view>

namespace sigrun::market_data {
namespace {

constexpr std::string_view kSuffix = ".csv.gz";

std::string upper(std::string_view s) {
    std::string out(s);
    for (char& c : out) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    return out;
}

std::string_view exchange_for_market(std::string_view market) {
    if (market == "spot") return "binance-spot";
    if (market == "usdm") return "binance-usdm";
    if (market == "cm") return "binance-coinm";
    return {};
}

}  // namespace

FileSpec spec_from_file_name(const std::filesystem::path& path) {
    FileSpec spec;
    spec.path = path;
    const std::string name = path.filename().string();
    std::string_view stem(name);
    if (stem.size() <= kSuffix.size() || !stem.ends_with(kSuffix)) return spec;
    stem.remove_suffix(kSuffix.size());

    const auto last = stem.rfind('_');
    if (last == std::string_view::npos) return spec;
    const std::string_view kind = stem.substr(last + 1);
    if (kind == "book20") {
        spec.kind = FileKind::Book20;
    } else if (kind == "trades") {
        spec.kind = FileKind::Trades;
    } else {
        return spec;
    }

    const std::string_view rest = stem.substr(0, last);  // <market>_<symbol>
    const auto first = rest.find('_');
    if (first == std::string_view::npos || first + 1 >= rest.size()) return spec;
    const std::string_view exchange = exchange_for_market(rest.substr(0, first));
    if (exchange.empty()) return spec;
    spec.exchange = std::string(exchange);
    spec.instrument = upper(rest.substr(first + 1));
    return spec;
}

FileSpec resolve_file_spec(FileSpec spec) {
    const FileSpec from_name = spec_from_file_name(spec.path);
    if (!spec.kind) spec.kind = from_name.kind;
    if (spec.instrument.empty()) spec.instrument = from_name.instrument;
    if (spec.exchange.empty()) spec.exchange = from_name.exchange;

    if (spec.instrument.empty() || spec.exchange.empty()) {
        throw DataError(spec.path, 0, "cannot tell the instrument and exchange of this file from its name",
                        "pass them with the file (FileSpec::instrument and ::exchange), or name the file "
                        "<spot|usdm|cm>_<symbol>_<book20|trades>.csv.gz");
    }
    if (spec.instrument.size() > SIGRUN_INSTRUMENT_LEN) {
        throw DataError(spec.path, 0,
                        "instrument name " + quote_for_message(spec.instrument, 64) + " is longer than " +
                            std::to_string(SIGRUN_INSTRUMENT_LEN) + " characters",
                        "use a shorter instrument name");
    }
    if (spec.exchange.size() > SIGRUN_EXCHANGE_LEN) {
        throw DataError(spec.path, 0,
                        "exchange name " + quote_for_message(spec.exchange, 64) + " is longer than " +
                            std::to_string(SIGRUN_EXCHANGE_LEN) + " characters",
                        "use a shorter exchange name");
    }
    return spec;
}

}  // namespace sigrun::market_data
