// Helpers for the market_data tests: a per-test temporary directory and
// writers for tiny gzip CSV files in the two derived formats.
#pragma once

#include <gtest/gtest.h>
#include <zlib.h>

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>
#include <string_view>

namespace sigrun::market_data::test {

inline const std::filesystem::path kExamplesDir = SIGRUN_MD_EXAMPLES_DIR;
inline const std::filesystem::path kSharedDataDir = SIGRUN_MD_SHARED_DATA_DIR;

inline std::string book_header() {
    std::string h = "local_ts_ns,exch_ts_ms,txn_ts_ms,row_type,first_update_id,last_update_id";
    for (const char* side : {"bid", "ask"}) {
        for (int i = 1; i <= 20; ++i) {
            h += std::string(",") + side + "_px_" + std::to_string(i) + "," + side + "_qty_" + std::to_string(i);
        }
    }
    return h;
}

inline std::string trade_header() {
    return "local_ts_ns,exch_ts_ms,trade_ts_ms,trade_id,price,qty,taker_side,is_buyer_maker";
}

/// One book20 row: bids from best_bid down and asks from best_bid + 1 up, in
/// whole-unit ticks, every size 1.5; exch_ms may be empty.
inline std::string book_row(std::int64_t local_ns, std::string_view exch_ms, int best_bid) {
    std::string r = std::to_string(local_ns) + "," + std::string(exch_ms) + ",,U,1,2";
    for (int i = 0; i < 20; ++i) r += "," + std::to_string(best_bid - i) + ".00,1.50";
    for (int i = 0; i < 20; ++i) r += "," + std::to_string(best_bid + 1 + i) + ".00,1.50";
    return r;
}

inline std::string trade_row(std::int64_t local_ns, std::int64_t trade_id, std::string_view side = "buy") {
    return std::to_string(local_ns) + ",1723161255343,1723161255342," + std::to_string(trade_id) +
           ",100.50,0.25," + std::string(side) + (side == "buy" ? ",false" : ",true");
}

/// A fresh directory under the system temp dir, removed with the fixture.
class TempDirTest : public ::testing::Test {
protected:
    void SetUp() override {
        const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
        std::random_device rd;
        dir_ = std::filesystem::temp_directory_path() /
               ("sigrun_md_" + std::string(info->test_suite_name()) + "_" + info->name() + "_" +
                std::to_string(rd()));
        std::filesystem::create_directories(dir_);
    }
    void TearDown() override {
        std::error_code ec;
        std::filesystem::remove_all(dir_, ec);
    }

    /// Writes `text` gzip-compressed (zlib gzopen/gzwrite) to dir/name.
    std::filesystem::path write_gz(const std::string& name, std::string_view text) const {
        const auto path = dir_ / name;
        gzFile f = gzopen(path.c_str(), "wb9");
        EXPECT_NE(f, nullptr) << path;
        if (f == nullptr) return path;
        EXPECT_EQ(gzwrite(f, text.data(), static_cast<unsigned>(text.size())), static_cast<int>(text.size()));
        EXPECT_EQ(gzclose(f), Z_OK);
        return path;
    }

    /// Writes `text` as is (not compressed).
    std::filesystem::path write_plain(const std::string& name, std::string_view text) const {
        const auto path = dir_ / name;
        std::ofstream(path, std::ios::binary) << text;
        return path;
    }

    const std::filesystem::path& dir() const { return dir_; }

private:
    std::filesystem::path dir_;
};

}  // namespace sigrun::market_data::test
