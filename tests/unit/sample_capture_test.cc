// The bundled examples/sample.pcap: it is exactly what make_sample_capture writes, and it
// reassembles into the conversations it was crafted to hold.
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>

#include "flowkit/packet_source.h"
#include "flowkit/reassembler.h"
#include "recorder.h"

namespace flowkit::testing {
namespace {

const std::string kSample = std::string(FLOWKIT_SOURCE_DIR) + "/examples/sample.pcap";

std::string slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

#ifdef FLOWKIT_MAKE_SAMPLE
TEST(SampleCapture, CommittedFileIsWhatTheGeneratorWrites) {
  const auto fresh =
      (std::filesystem::temp_directory_path() / "flowkit_sample_check.pcap").string();
  const std::string command = std::string(FLOWKIT_MAKE_SAMPLE) + " " + fresh;
  ASSERT_EQ(std::system(command.c_str()), 0);
  EXPECT_EQ(slurp(fresh), slurp(kSample))
      << "regenerate with: make_sample_capture examples/sample.pcap";
  std::filesystem::remove(fresh);
}
#endif

TEST(SampleCapture, ReassemblesEveryConversation) {
  SourceOptions options;
  options.files = {kSample};
  auto source = PacketSource::open(options);
  Recorder rec;
  Reassembler r(Config{}, rec);
  reassemble(source, r);
  EXPECT_EQ(r.stats().connections_opened, 6u);
  EXPECT_EQ(r.stats().connections_reset, 1u);
  EXPECT_EQ(r.stats().gaps, 0u);
  // The login's first segment is sent twice (73 bytes) and its tail ("r2") arrives first.
  EXPECT_EQ(r.stats().retransmitted_bytes, 73u);
  EXPECT_NE(rec.bytes(Direction::ToServer, 5).find("user=admin&password=hunter2"),
            std::string::npos);
  EXPECT_EQ(rec.bytes(Direction::ToClient, 3).rfind("SSH-2.0-OpenSSH_9.2p1", 0), 0u);
  EXPECT_EQ(rec.udp_payloads.size(), 2u);
  EXPECT_EQ(rec.udp_payloads.back(), std::string(3000, 'F'));
}

}  // namespace
}  // namespace flowkit::testing
