// PcapChunkIndex must list exactly the records a sequential reader reads, as the same frames,
// whatever the format (pcap, pcapng), the chunk boundaries, the threads and the payloads (which
// may imitate record headers or blocks), and report a damaged file with the sequential
// reader's words at the same record.
#include "io/pcap_chunk_index.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <functional>
#include <map>
#include <set>
#include <thread>

#include "decode/decoder.h"
#include "flowkit/capture_file.h"
#include "flowkit/flow_key.h"
#include "flowkit/pcap_writer.h"
#include "io/pcap_record.h"
#include "packet_builder.h"
#include "pcapng_crafting.h"
#include "temp_dir.h"

namespace flowkit::testing {
namespace {

namespace fs = std::filesystem;

// What a frame is (time, link, lengths, bytes), to compare the two readers' frames.
std::string digest(const RawFrame& f) {
  const std::string_view bytes(reinterpret_cast<const char*>(f.data.data()), f.data.size());
  return fmt::format("{} {} {} {} {:x}", f.ts.count(), f.link_type, f.wire_length, f.data.size(),
                     std::hash<std::string_view>{}(bytes));
}

// Whether PcapChunkIndex takes the file (it leaves the rest to the sequential reader).
bool indexable(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return false;
  const bool taken = detail::PcapChunkIndex::open(fd, path, 2) != nullptr;
  ::close(fd);
  return taken;
}

// Damages a file in place: `value`, in host order, over the four bytes at `at`.
void overwrite_u32(const std::string& path, std::uint64_t at, std::uint32_t value) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_CLOEXEC);
  ASSERT_GE(fd, 0) << path;
  ASSERT_EQ(::pwrite(fd, &value, sizeof value, static_cast<off_t>(at)), 4);
  ::close(fd);
}

struct Walked {
  std::vector<std::uint64_t> offsets;  // where every record ends, once each, in file order
  std::vector<std::string> frames;     // beside offsets: digest() of its frame
  std::string error;                   // the CaptureError's text, if any
  detail::PcapChunkIndex::Counts counts;
};

// What the sequential reader reads: record offsets, then the error text if it throws.
Walked sequential(const std::string& path) {
  Walked w;
  auto reader = CaptureFileReader::open(path);
  try {
    while (const auto frame = reader.next()) {
      w.offsets.push_back(reader.bytes_read());
      w.frames.push_back(digest(*frame));
    }
  } catch (const CaptureError& e) {
    w.error = e.what();
  }
  return w;
}

// Every shard on a thread of its own, as ShardedReassembler runs them; the union of the
// shards' lists, in order (unplaced records are listed for every shard: once here).
Walked indexed(const std::string& path, std::size_t shards, std::size_t chunk_bytes,
               bool always_guess = false) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  EXPECT_GE(fd, 0);
  auto index = detail::PcapChunkIndex::open(fd, path, shards, chunk_bytes, always_guess);
  ::close(fd);
  Walked w;
  if (!index) {
    ADD_FAILURE() << path << " not indexed";
    return w;
  }
  std::vector<std::vector<std::uint64_t>> seen(shards);
  std::vector<std::map<std::uint64_t, std::string>> frames(shards);
  std::vector<std::string> errors(shards);
  {
    std::vector<std::jthread> threads;
    for (std::size_t s = 0; s < shards; ++s) {
      threads.emplace_back([&, s] {
        for (std::size_t c = 0;; ++c) {
          const auto* chunk = index->acquire(c);
          if (chunk == nullptr) break;
          EXPECT_EQ(chunk->records[s].size(), chunk->hashes[s].size());
          for (std::size_t n = 0; n < chunk->records[s].size(); ++n) {
            const auto r = chunk->records[s][n];
            const auto frame = index->frame_at(*chunk, s, n);
            const auto end = index->record_end(*chunk, s, n);
            EXPECT_LE(end, index->size());
            // Placed frames carry their flow hash, and belong to this shard.
            if ((r & detail::PcapChunkIndex::kUnplaced) == 0) {
              const auto hash = detail::peek_flow_hash(frame.link_type, frame.data);
              EXPECT_TRUE(hash && *hash == chunk->hashes[s][n] && shard_of(*hash, shards) == s);
            }
            seen[s].push_back(end);
            frames[s][end] = digest(frame);
          }
          const bool last = chunk->last;
          if (chunk->error) {
            try {
              std::rethrow_exception(chunk->error);
            } catch (const CaptureError& e) {
              errors[s] = e.what();
            }
          }
          index->release(c);
          if (last) break;
        }
      });
    }
  }
  std::set<std::uint64_t> all;
  for (const auto& list : seen) {
    EXPECT_TRUE(std::is_sorted(list.begin(), list.end()));
    all.insert(list.begin(), list.end());
  }
  w.offsets.assign(all.begin(), all.end());
  for (const auto end : w.offsets) {
    std::string frame;
    for (const auto& listed : frames) {
      if (const auto it = listed.find(end); it != listed.end()) {
        if (!frame.empty()) {
          EXPECT_EQ(it->second, frame) << "the shards' frames at " << end;
        }
        frame = it->second;
      }
    }
    w.frames.push_back(frame);
  }
  for (const auto& e : errors) EXPECT_EQ(e, errors.front()) << "every shard sees the same error";
  w.error = errors.front();
  w.counts = index->counts();
  return w;
}

void expect_same_walk(const std::string& path, const std::string& what) {
  const auto truth = sequential(path);
  for (const std::size_t shards : {1u, 2u, 3u}) {
    for (const std::size_t chunk : {std::size_t{4096}, std::size_t{65536}, std::size_t{1} << 20}) {
      for (const bool guess : {false, true}) {
        const auto got = indexed(path, shards, chunk, guess);
        const auto label = fmt::format("{}: {} shards, chunks of {}{}", what, shards, chunk,
                                       guess ? ", guessed" : "");
        EXPECT_EQ(got.offsets.size(), truth.offsets.size()) << label;
        const auto diff = std::mismatch(got.offsets.begin(), got.offsets.end(),
                                        truth.offsets.begin(), truth.offsets.end());
        EXPECT_TRUE(diff.first == got.offsets.end() && diff.second == truth.offsets.end())
            << label << ": first difference at record " << (diff.first - got.offsets.begin())
            << ": "
            << (diff.first == got.offsets.end() ? std::string("end") : std::to_string(*diff.first))
            << " instead of "
            << (diff.second == truth.offsets.end() ? std::string("end")
                                                   : std::to_string(*diff.second));
        EXPECT_TRUE(got.frames == truth.frames) << label << ": the frames differ";
        EXPECT_EQ(got.error, truth.error) << label;
      }
    }
  }
}

// The sequential reading of `path`, undamaged and long enough to be damaged in several places.
Walked undamaged(const std::string& path) {
  auto truth = sequential(path);
  EXPECT_TRUE(truth.error.empty()) << truth.error;
  EXPECT_GT(truth.offsets.size(), 1000u);
  return truth;
}

// Cuts `path` to `size` bytes: the index must stop where the sequential reader does, which
// says `words`.
void expect_cut(const std::string& path, std::uint64_t size, const std::string& what,
                const std::string& words) {
  fs::resize_file(path, size);
  expect_same_walk(path, what);
  EXPECT_NE(sequential(path).error.find(words), std::string::npos) << sequential(path).error;
}

// Writes `frames` to `name` in `dir`; returns its path.
std::string write_capture(const TempDir& dir, const std::string& name,
                          const std::vector<Frame>& frames) {
  const auto path = dir.file(name);
  write_pcap(path, frames.front().link_type, views(frames));
  return path;
}

// A few thousand frames of several connections, sizes varying so records straddle chunks.
std::vector<Frame> busy_capture() {
  std::vector<Frame> frames;
  std::vector<TcpSession> sessions;
  for (std::uint16_t i = 0; i < 8; ++i) {
    TcpSession::Options o;
    o.client_port = static_cast<std::uint16_t>(40000 + i);
    if (i % 3 == 0) {
      o.client = "2001:db8::1";
      o.server = "2001:db8::2";
    }
    sessions.emplace_back(o);
  }
  for (auto& s : sessions) {
    for (auto& f : s.handshake()) frames.push_back(std::move(f));
  }
  for (std::size_t n = 0; n < 3000; ++n) {
    auto& s = sessions[n % sessions.size()];
    const std::string data(1 + (n * 37) % 1400, static_cast<char>('a' + n % 26));
    frames.push_back(n % 2 == 0 ? s.client_send(data) : s.server_send(data));
  }
  return frames;
}

// One connection whose 2000 segments, alternately from each side, carry `payload(n)`.
std::vector<Frame> connection_carrying(const std::function<std::string(std::size_t)>& payload) {
  std::vector<Frame> frames;
  TcpSession s;
  for (auto& f : s.handshake()) frames.push_back(std::move(f));
  for (std::size_t n = 0; n < 2000; ++n) {
    frames.push_back(n % 2 == 0 ? s.client_send(payload(n)) : s.server_send(payload(n)));
  }
  return frames;
}

// Payloads that imitate records cost time, never correctness: the index lists what the
// sequential reader reads, and its guesses did meet the false chains.
void expect_imitations_tried(const std::string& path, const std::string& what) {
  expect_same_walk(path, what);
  const auto got = indexed(path, 2, 4096, true);
  EXPECT_GT(got.counts.guesses_wrong, 100u) << what << ": the false chains were never tried";
}

// A pcap record header (little-endian, microseconds), as the test frames' payloads carry it.
std::string fake_record(std::uint32_t seconds, std::uint32_t caplen) {
  std::string r(detail::kPcapRecordHeaderSize, '\0');
  const std::uint32_t words[4] = {seconds, 1000, caplen, caplen};
  std::memcpy(r.data(), words, sizeof words);
  return r;
}

// The frames as a pcapng file: one section, one Ethernet interface with nanosecond times.
std::string write_pcapng(const TempDir& dir, const std::string& name,
                         const std::vector<Frame>& frames, bool big = false) {
  const auto v = views(frames);
  return dir.write(
      name, section_header(big) + interface_block(big, 1, 0, 9) + enhanced_packets(big, 0, v));
}

// A pcapng enhanced packet block (little-endian) as the test frames' payloads carry it, its
// fields consistent (length >= 32, the captured length fitting in it).
std::string fake_block(std::uint32_t length) {
  const std::uint32_t captured = length - 32;
  std::string b =
      Encoder(false).u32(6).u32(length).u32(0).u32(0).u32(1000).u32(captured).u32(captured).str();
  b += std::string(captured, 'y');
  return b + Encoder(false).u32(length).str();
}

TEST(PcapChunkIndex, ListsWhatTheSequentialReaderReads) {
  const TempDir dir;
  const auto path = write_capture(dir, "busy.pcap", busy_capture());
  expect_same_walk(path, "busy capture");
  // Real records resynchronise: guesses are right (and kept) for nearly every chunk.
  const auto got = indexed(path, 2, 4096, true);
  EXPECT_GT(got.counts.guesses_kept, 500u);
  EXPECT_LT(got.counts.guesses_wrong, got.counts.guesses_kept / 10);
}

TEST(PcapChunkIndex, PayloadsImitatingRecordHeadersCostTimeNotCorrectness) {
  // Every payload is a chain of plausible record headers (the file's own time, small lengths):
  // resynchronising inside a payload finds a false chain; the walk from the truth must win.
  const auto frames = connection_carrying([](std::size_t) {
    std::string payload;
    while (payload.size() < 1200) payload += fake_record(1700000000, 8) + std::string(8, 'x');
    return payload;
  });
  const TempDir dir;
  expect_imitations_tried(write_capture(dir, "imitations.pcap", frames), "imitating payloads");
}

TEST(PcapChunkIndex, DamageIsReportedLikeTheSequentialReader) {
  const auto frames = busy_capture();
  const TempDir dir;
  const auto path = write_capture(dir, "damaged.pcap", frames);
  const auto truth = undamaged(path);

  // Cut inside a record, inside a record header, and an absurd length in the middle.
  expect_cut(path, fs::file_size(path) - 7, "cut in a record", "truncated packet record");
  // The last record starts at the second-to-last offset listed.
  expect_cut(path, truth.offsets[truth.offsets.size() - 2] + 5, "cut in a record header",
             "truncated record header");

  ASSERT_EQ(write_capture(dir, "damaged.pcap", frames), path);
  // A record ends there and the next starts: its captured length made absurd.
  overwrite_u32(path, truth.offsets[truth.offsets.size() / 2] + 8, 0x7fffffff);
  expect_same_walk(path, "absurd length");
  EXPECT_NE(sequential(path).error.find("is absurd"), std::string::npos);
}

TEST(PcapChunkIndex, EmptyAndTinyFiles) {
  const TempDir dir;
  std::vector<Frame> one;
  TcpSession s;
  one.push_back(s.syn());
  const auto path = write_capture(dir, "tiny.pcap", one);
  expect_same_walk(path, "one record");
  fs::resize_file(path, detail::kPcapFileHeaderSize);
  expect_same_walk(path, "header only");
}

TEST(PcapChunkIndex, LeavesOtherFormatsToTheSequentialReader) {
  const TempDir dir;
  EXPECT_FALSE(indexable(
      dir.write("other.pcap", "<!DOCTYPE html> not a capture, but long enough to have a header")));
  EXPECT_FALSE(indexable("/dev/null"));
  EXPECT_TRUE(indexable(std::string(FLOWKIT_SOURCE_DIR) + "/examples/sample.pcap"));
}

TEST(PcapChunkIndex, ListsWhatTheSequentialReaderReadsInPcapng) {
  const TempDir dir;
  for (const bool big : {false, true}) {
    const auto path = write_pcapng(dir, "busy.pcapng", busy_capture(), big);
    expect_same_walk(path, big ? "busy pcapng, big-endian" : "busy pcapng");
    const auto got = indexed(path, 2, 4096, true);
    EXPECT_GT(got.counts.guesses_kept, 500u);
    EXPECT_LT(got.counts.guesses_wrong, got.counts.guesses_kept / 10);
  }
}

TEST(PcapChunkIndex, PcapngSectionsAndInterfacesDeclaredMidFile) {
  // Interfaces and sections that come and go among the packets, of every packet block kind and
  // link type: a guess made before a declaration must not be kept after it.
  const auto frames = busy_capture();
  const auto v = views(frames);
  const auto third = v.size() / 3;
  const auto data = [](const RawFrame& f, std::size_t skip = 0) {
    return std::string(reinterpret_cast<const char*>(f.data.data()) + skip, f.data.size() - skip);
  };
  std::string bytes = section_header(false) + interface_block(false, 1, 0, 9);
  bytes += enhanced_packets(false, 0, std::span(v).first(third));
  bytes += block(false, 0x0BAD, "a custom block");
  bytes += block(false, 0x1234, "a type no specification defines: read past, never guessed");
  bytes += interface_block(false, 1, 0, 6);               // microseconds
  bytes += interface_block(false, 101, 0, 9);             // raw IP: no shard can place its frames
  bytes += interface_block(false, 1, 128, 0x80 | 20, 5);  // 2^-20 s, +5 s, cut to 128 bytes
  for (std::size_t n = third; n < 2 * third; ++n) {
    const auto& f = v[n];
    const auto ns = static_cast<std::uint64_t>(f.ts.count());
    switch (n % 5) {
      case 0:
        bytes += enhanced_packet(false, 1, ns / 1000, data(f), f.wire_length);
        break;
      case 1:
        bytes += enhanced_packet(false, 2, ns, data(f, 14), f.wire_length - 14);
        break;
      case 2:
        bytes += simple_packet(false, data(f), f.wire_length);
        break;
      case 3:
        bytes += obsolete_packet(
            false, 3, (ns / 1'000'000'000) << 20 | (ns % 1'000'000'000 << 20) / 1'000'000'000,
            data(f), f.wire_length);
        break;
      default:
        bytes += enhanced_packet(false, 0, ns, data(f), f.wire_length);
    }
  }
  bytes += block(false, 5, Encoder(false).u32(0).u32(0).u32(0).str());  // interface statistics
  // A new section, of the other byte order, forgets the interfaces before it.
  const auto fourth = v.size() - v.size() / 6;
  bytes += section_header(true) + interface_block(true, 1, 0, 9);
  bytes += enhanced_packets(true, 0, std::span(v).subspan(2 * third, fourth - 2 * third));
  // And a third, whose interface 0 counts microseconds: a guess made with the second's
  // interfaces in mind chains through its packets, but gets their times wrong.
  bytes += section_header(false) + interface_block(false, 1, 0, 6);
  for (std::size_t n = fourth; n < v.size(); ++n) {
    bytes += enhanced_packet(false, 0, static_cast<std::uint64_t>(v[n].ts.count()) / 1000,
                             data(v[n]), v[n].wire_length);
  }
  const TempDir dir;
  const auto path = dir.write("mixed.pcapng", bytes);
  ASSERT_TRUE(sequential(path).error.empty()) << sequential(path).error;
  expect_same_walk(path, "declarations among the packets");
  // Guesses made with only the first interface in mind (as always_guess makes them): kept
  // before the first declaration, walked again after it.
  const auto got = indexed(path, 2, 4096, true);
  EXPECT_GT(got.counts.guesses_kept, 150u);
  EXPECT_GT(got.counts.guesses_wrong, 300u);
}

TEST(PcapChunkIndex, PcapngPayloadsImitatingBlocksCostTimeNotCorrectness) {
  const auto frames = connection_carrying([](std::size_t n) {
    // Two bytes put the imitations on the 4-byte grid blocks start on (the payload follows 54
    // bytes of headers and the 28 of the block's own).
    std::string payload = "xx";
    while (payload.size() < 1200) payload += fake_block(32 + 4 * (n % 5));
    return payload;
  });
  const TempDir dir;
  expect_imitations_tried(write_pcapng(dir, "imitations.pcapng", frames),
                          "payloads imitating blocks");
}

TEST(PcapChunkIndex, PcapngDamageIsReportedLikeTheSequentialReader) {
  const auto frames = busy_capture();
  const TempDir dir;
  const auto path = write_pcapng(dir, "damaged.pcapng", frames);
  const auto truth = undamaged(path);
  const auto middle = truth.offsets[truth.offsets.size() / 2];  // where a block starts

  expect_cut(path, fs::file_size(path) - 7, "cut in a block", "truncated block at byte");
  expect_cut(path, truth.offsets[truth.offsets.size() - 2] + 5, "cut in a block header",
             "truncated block header");

  for (const auto& [at, value, words] : {std::tuple{middle + 4, 0x7ffffff0u, "is absurd"},
                                         std::tuple{middle + 4, 13u, "bad block length"},
                                         std::tuple{middle + 8, 7u, "refers to interface 7"},
                                         std::tuple{middle + 20, 0xfffffu, "exceeds the"},
                                         std::tuple{middle - 4, 4u, "trailing length"}}) {
    ASSERT_EQ(write_pcapng(dir, "damaged.pcapng", frames), path);
    overwrite_u32(path, at, value);
    expect_same_walk(path, words);
    EXPECT_NE(sequential(path).error.find(words), std::string::npos) << sequential(path).error;
  }
}

TEST(PcapChunkIndex, PcapngWithoutAnInterfaceFirstIsLeftToTheSequentialReader) {
  const TempDir dir;
  const auto frames = busy_capture();
  const auto v = views(frames);
  EXPECT_FALSE(indexable(dir.write("bare.pcapng", section_header(false))));
  EXPECT_FALSE(indexable(dir.write(
      "packet-first.pcapng",
      section_header(false) + enhanced_packets(false, 0, v) + interface_block(false, 1, 0, 9))));
  EXPECT_FALSE(
      indexable(dir.write("v2.pcapng", section_header(false, 2) + interface_block(false, 1, 0))));
  // Interfaces and no packets: nothing to list, and nothing wrong.
  const auto quiet =
      dir.write("quiet.pcapng", section_header(false) + interface_block(false, 1, 0));
  EXPECT_TRUE(indexable(quiet));
  expect_same_walk(quiet, "no packets");
}

TEST(PcapChunkIndex, SharedCaptures) {
  const fs::path dir = FLOWKIT_SHARED_PCAPS;
  if (!fs::is_directory(dir)) GTEST_SKIP() << "no shared captures";
  std::size_t checked = 0;
  for (const auto& entry : fs::directory_iterator(dir)) {
    const auto path = entry.path().string();
    const auto extension = entry.path().extension();
    if ((extension != ".pcap" && extension != ".pcapng") ||
        fs::file_size(entry.path()) > (8u << 20)) {
      continue;
    }
    if (!indexable(path)) continue;
    expect_same_walk(path, entry.path().filename().string());
    ++checked;
  }
  EXPECT_GT(checked, 5u);
}

}  // namespace
}  // namespace flowkit::testing
