// Output files are never written through a symlink at their path (flowkit/output_file.h).
#include "flowkit/output_file.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <filesystem>

#include "command.h"
#include "flowkit/pcap_writer.h"

namespace flowkit {
namespace {

using cli::testing::read_file;
using cli::testing::TempDir;
using cli::testing::write_file;
namespace fs = std::filesystem;

TEST(OutputFile, RefusesASymlinkAndLeavesItsTargetAlone) {
  TempDir dir;
  write_file(dir / "target", "precious");
  fs::create_symlink(dir / "target", dir / "out");
  try {
    (void)open_output_fd((dir / "out").string());
    FAIL() << "opened through a symlink";
  } catch (const OutputFileError& e) {
    EXPECT_EQ(std::string(e.what()), "refusing to write through symlink " + (dir / "out").string());
    EXPECT_EQ(e.code().value(), ELOOP);
    EXPECT_EQ(e.path(), (dir / "out").string());
  }
  EXPECT_EQ(read_file(dir / "target"), "precious");
  EXPECT_TRUE(fs::is_symlink(dir / "out"));
  // A dangling link is not followed either (it would create the target).
  fs::create_symlink(dir / "nowhere", dir / "dangling");
  EXPECT_THROW((void)open_output_file((dir / "dangling").string()), OutputFileError);
  EXPECT_FALSE(fs::exists(dir / "nowhere"));
}

TEST(OutputFile, CreatesOrTruncatesARegularFile) {
  TempDir dir;
  write_file(dir / "old", "something long that must go");
  {
    auto f = open_output_file((dir / "old").string());
    std::fputs("new", f.get());
  }
  EXPECT_EQ(read_file(dir / "old"), "new");
  {
    const auto fd = open_output_fd((dir / "fresh").string(), 0600);
    ASSERT_GE(fd.get(), 0);
    EXPECT_NE(::fcntl(fd.get(), F_GETFD) & FD_CLOEXEC, 0);
  }
  struct stat st {};
  ASSERT_EQ(::stat((dir / "fresh").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
}

TEST(OutputFile, OtherFailuresNameThePath) {
  try {
    (void)open_output_fd("/nonexistent-dir/out");
    FAIL();
  } catch (const OutputFileError& e) {
    EXPECT_EQ(std::string(e.what()),
              "/nonexistent-dir/out: cannot create: No such file or directory");
    EXPECT_EQ(e.code().value(), ENOENT);
  }
}

TEST(OutputFile, PcapWriterRefusesASymlink) {
  TempDir dir;
  write_file(dir / "target", "precious");
  fs::create_symlink(dir / "target", dir / "out.pcap");
  EXPECT_THROW(PcapWriter((dir / "out.pcap").string(), 1), CaptureError);
  EXPECT_EQ(read_file(dir / "target"), "precious");
  // From a descriptor opened earlier: the file is written there.
  {
    PcapWriter writer(open_output_fd((dir / "early.pcap").string()), "early.pcap", 1);
    writer.close();
  }
  EXPECT_EQ(fs::file_size(dir / "early.pcap"), 24u);  // the file header
}

}  // namespace
}  // namespace flowkit
