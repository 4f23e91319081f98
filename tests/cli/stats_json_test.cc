// --stats-json: the statistics object and its file.
#include "flowkit/cli/stats_json.h"

#include <gtest/gtest.h>

#include <filesystem>

#include "command.h"
#include "flowkit/reassembler.h"

namespace flowkit::cli {
namespace {

using testing::read_file;
using testing::TempDir;
using testing::write_file;

const std::string kSample = std::string(FLOWKIT_SOURCE_DIR) + "/examples/sample.pcap";

TEST(StatsJson, CarriesTheCountersAndEveryDropReasonByName) {
  SourceOptions in;
  in.files = {kSample};
  auto source = PacketSource::open(in);
  Handler nothing;
  Reassembler reassembler(Config{}, nothing);
  reassemble(source, reassembler);
  Stats stats = reassembler.stats();
  stats.drop(DropReason::TcpOutOfWindow);
  stats.drop(DropReason::TcpOutOfWindow);
  const auto j = stats_to_json("tool", stats, source);
  EXPECT_EQ(j["tool"], "tool");
  EXPECT_EQ(j["interrupted"], false);
  EXPECT_EQ(j["packets"], 63);
  EXPECT_EQ(j["bytes"], 8887);
  EXPECT_EQ(j["connections"]["opened"], 6);
  EXPECT_EQ(j["connections"]["closed"], 5);
  EXPECT_EQ(j["connections"]["reset"], 1);
  EXPECT_EQ(j["connections"]["timed_out"], 0);
  EXPECT_EQ(j["connections"]["evicted"], 0);
  EXPECT_EQ(j["gaps"], 0);
  EXPECT_EQ(j["dropped"], 2);
  EXPECT_EQ(j["drops"]["tcp-out-of-window"], 2);
  EXPECT_EQ(j["drops"].size(), static_cast<std::size_t>(DropReason::kCount));
  EXPECT_EQ(j["filtered_out"], 0);
  EXPECT_FALSE(j.contains("kernel_drops"));  // files only
}

TEST(StatsJson, FileIsCreatedAtOnceAndWrittenAtTheEnd) {
  TempDir dir;
  const auto path = dir / "stats.json";
  write_file(path, "old contents that are longer than the new ones, surely");
  StatsJsonFile file(path.string());
  EXPECT_TRUE(file.enabled());
  EXPECT_EQ(read_file(path), "");  // truncated when opened
  file.write({{"packets", 1}});
  EXPECT_EQ(nlohmann::json::parse(read_file(path)), (nlohmann::json{{"packets", 1}}));
  StatsJsonFile none("");
  EXPECT_FALSE(none.enabled());
  none.write({{"packets", 1}});  // nothing
}

TEST(StatsJson, FileRefusesASymlink) {
  TempDir dir;
  write_file(dir / "target", "precious");
  std::filesystem::create_symlink(dir / "target", dir / "stats.json");
  EXPECT_THROW(StatsJsonFile((dir / "stats.json").string()), OutputFileError);
  EXPECT_EQ(read_file(dir / "target"), "precious");
}

}  // namespace
}  // namespace flowkit::cli
