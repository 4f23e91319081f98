// PacketSource: files merged by timestamp, directories, stdin, BPF on files, live capture on
// loopback, and the errors a user sees for bad input.
#include <arpa/inet.h>
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <linux/if_packet.h>
#include <net/if.h>
#include <netinet/in.h>
#include <pcap/pcap.h>
#include <sched.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string_view>
#include <thread>

#include "flowkit/link_type.h"
#include "flowkit/packet_source.h"
#include "flowkit/pcap_writer.h"
#include "flowkit/reassembler.h"
#include "io/fanout.h"
#include "packet_builder.h"
#include "recorder.h"
#include "temp_dir.h"

namespace flowkit::testing {
namespace {

namespace fs = std::filesystem;

void write(const std::string& path, const std::vector<Frame>& frames, int link = 1) {
  PcapWriter w(path, link);
  for (const auto& f : frames) w.write(f.view());
  w.close();
}

Frame udp_at(int second, std::uint16_t port) {
  return PacketBuilder()
      .ipv4("10.9.0.1", "10.9.0.2")
      .udp(port, 9)
      .payload(fmt::format("t{}", second))
      .time(std::chrono::seconds(1700000000 + second))
      .build();
}

std::vector<std::string> read_payloads(const SourceOptions& options) {
  auto source = PacketSource::open(options);
  Recorder rec;
  Reassembler r(Config{}, rec);
  while (auto f = source.next()) r.process(*f);
  r.finish();
  return rec.udp_payloads;
}

TEST(PacketSource, FilesAreMergedInTimestampOrder) {
  TempDir dir;
  write(dir.file("b.pcap"), {udp_at(2, 1), udp_at(4, 1), udp_at(6, 1)});
  write(dir.file("a.pcap"), {udp_at(1, 1), udp_at(3, 1), udp_at(5, 1)});
  SourceOptions o;
  o.files = {dir.file("b.pcap"), dir.file("a.pcap")};
  EXPECT_EQ(read_payloads(o), (std::vector<std::string>{"t1", "t2", "t3", "t4", "t5", "t6"}));
}

TEST(PacketSource, DirectoryOfRotatedCapturesIsReadInOrder) {
  TempDir dir;
  for (int part = 0; part < 5; ++part) {
    write(dir.file(fmt::format("cap.{}.pcap", part)),
          {udp_at(part * 2, 1), udp_at(part * 2 + 1, 1)});
  }
  SourceOptions o;
  o.files = {dir.path().string()};
  auto source = PacketSource::open(o);
  std::vector<Timestamp> times;
  while (auto f = source.next()) {
    times.push_back(f->ts);
    EXPECT_LE(source.progress().file_index, 5u);
  }
  ASSERT_EQ(times.size(), 10u);
  EXPECT_TRUE(std::is_sorted(times.begin(), times.end()));
  EXPECT_EQ(source.progress().file_count, 5u);
  EXPECT_EQ(source.progress().bytes_done, source.progress().bytes_total);
}

TEST(PacketSource, BpfFilterAppliesToFiles) {
  TempDir dir;
  write(dir.file("mix.pcap"), {udp_at(1, 1000), udp_at(2, 2000), udp_at(3, 1000)});
  SourceOptions o;
  o.files = {dir.file("mix.pcap")};
  o.filter = "udp src port 1000";
  auto source = PacketSource::open(o);
  int n = 0;
  while (source.next()) ++n;
  EXPECT_EQ(n, 2);
  EXPECT_EQ(source.filtered_out(), 1u);
}

TEST(PacketSource, ReadsStandardInput) {
  TempDir dir;
  write(dir.file("in.pcap"), {udp_at(1, 1), udp_at(2, 1)});
  // Run the read in a child whose stdin is the file, so this process's stdin is untouched.
  const pid_t pid = fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    std::FILE* in = std::freopen(dir.file("in.pcap").c_str(), "rb", stdin);
    if (in == nullptr) _exit(3);
    SourceOptions o;
    o.files = {"-"};
    try {
      _exit(read_payloads(o) == std::vector<std::string>{"t1", "t2"} ? 0 : 1);
    } catch (...) {
      _exit(2);
    }
  }
  int status = 0;
  waitpid(pid, &status, 0);
  EXPECT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 0);
}

// Files: read_ready() hands over what next() does, a few frames a call, then says the end
// (and keeps saying it).
TEST(PacketSource, ReadReadyHandsOverWhatNextDoesFromFiles) {
  TempDir dir;
  std::vector<Frame> frames;
  for (int i = 0; i < 150; ++i) frames.push_back(udp_at(i, static_cast<std::uint16_t>(i % 7)));
  write(dir.file("a.pcap"), frames);
  SourceOptions o;
  o.files = {dir.file("a.pcap")};
  o.filter = "not udp src port 3";
  auto source = PacketSource::open(o);
  std::vector<std::string> in_place;
  int calls = 0;
  while (source.read_ready([&](const RawFrame& f) {
    in_place.emplace_back(reinterpret_cast<const char*>(f.data.data()), f.data.size());
  })) {
    ++calls;
  }
  EXPECT_GT(calls, 1);
  EXPECT_FALSE(
      source.read_ready([](const RawFrame&) { ADD_FAILURE() << "a frame after the end"; }));
  auto again = PacketSource::open(o);
  std::vector<std::string> copied;
  while (auto f = again.next()) {
    copied.emplace_back(reinterpret_cast<const char*>(f->data.data()), f->data.size());
  }
  EXPECT_EQ(in_place.size(), 150u - 150u / 7 - (150 % 7 > 3 ? 1 : 0));
  EXPECT_EQ(in_place, copied);
  EXPECT_EQ(source.filtered_out(), again.filtered_out());
}

TEST(PacketSource, ClearErrors) {
  TempDir dir;
  const auto message = [](const SourceOptions& o) {
    try {
      PacketSource::open(o);
    } catch (const CaptureError& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  SourceOptions missing;
  missing.files = {dir.file("nope.pcap")};
  EXPECT_NE(message(missing).find("nope.pcap: no such file"), std::string::npos);

  std::FILE* junk = std::fopen(dir.file("junk.pcap").c_str(), "wb");
  std::fputs("this is not a capture file at all", junk);
  std::fclose(junk);
  SourceOptions garbage;
  garbage.files = {dir.file("junk.pcap")};
  EXPECT_NE(message(garbage).find("junk.pcap"), std::string::npos);

  write(dir.file("usb.pcap"), {}, 189);  // LINKTYPE_USB_LINUX_MMAPPED
  SourceOptions usb;
  usb.files = {dir.file("usb.pcap")};
  EXPECT_NE(message(usb).find("link type 189"), std::string::npos) << message(usb);

  write(dir.file("ok.pcap"), {udp_at(1, 1)});
  SourceOptions bad_filter;
  bad_filter.files = {dir.file("ok.pcap")};
  bad_filter.filter = "tcp port banana";
  try {
    auto source = PacketSource::open(bad_filter);
    while (source.next()) {
    }
    ADD_FAILURE() << "bad filter accepted";
  } catch (const CaptureError& e) {
    EXPECT_NE(std::string(e.what()).find("bad filter 'tcp port banana'"), std::string::npos)
        << e.what();
  }

  SourceOptions no_iface;
  no_iface.interface = "flowkit-nonexistent0";
  EXPECT_NE(message(no_iface).find("flowkit-nonexistent0"), std::string::npos) << message(no_iface);
}

// A TCP socket listening on 127.0.0.1 at a port the kernel picks (written to `addr`), or -1.
int listen_on_loopback(sockaddr_in& addr, int backlog) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return -1;
  addr = {};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof addr;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0 ||
      ::listen(fd, backlog) != 0) {
    ::close(fd);
    return -1;
  }
  return fd;
}

// Live capture on loopback of a real TCP connection made by this process (needs root).
TEST(PacketSource, LiveCaptureOnLoopbackReassemblesARealConnection) {
  if (::geteuid() != 0) GTEST_SKIP() << "live capture needs root";
  sockaddr_in addr{};
  const int listener = listen_on_loopback(addr, 1);
  ASSERT_GE(listener, 0);
  const int port = ntohs(addr.sin_port);

  SourceOptions o;
  o.interface = "lo";
  o.filter = fmt::format("tcp port {}", port);
  o.timeout_ms = 50;
  PacketSource source = [&] {
    try {
      return PacketSource::open(o);
    } catch (const CaptureError& e) {
      ::close(listener);
      throw;
    }
  }();
  ASSERT_TRUE(source.live());

  std::thread peer([&] {
    const int client = ::socket(AF_INET, SOCK_STREAM, 0);
    ::connect(client, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
    const int server = ::accept(listener, nullptr, nullptr);
    const char request[] = "hello over a real socket";
    (void)::write(client, request, sizeof request - 1);
    char buf[64];
    (void)::read(server, buf, sizeof buf);
    (void)::write(server, "pong", 4);
    (void)::read(client, buf, sizeof buf);
    ::close(client);
    ::close(server);
  });

  Recorder rec;
  Reassembler r(Config{}, rec);
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (rec.events_starting("end").empty() && std::chrono::steady_clock::now() < deadline) {
    if (auto f = source.next()) r.process(*f);
  }
  peer.join();
  ::close(listener);
  EXPECT_EQ(rec.bytes(Direction::ToServer), "hello over a real socket");
  EXPECT_EQ(rec.bytes(Direction::ToClient), "pong");
  EXPECT_EQ(rec.events_starting("end"), std::vector<std::string>{"end 1 close"});
}

// Each connection's bytes, both directions, as one Reassembler saw them; by client port.
class StreamsByPort final : public Handler {
 public:
  std::size_t on_data(Connection& conn, Direction dir, const StreamChunk& chunk) override {
    auto& both = streams_[conn.key().client_port];
    both[static_cast<std::size_t>(dir)].append(reinterpret_cast<const char*>(chunk.bytes.data()),
                                               chunk.bytes.size());
    return chunk.bytes.size();
  }
  [[nodiscard]] const std::map<std::uint16_t, std::array<std::string, 2>>& streams() const {
    return streams_;
  }

 private:
  std::map<std::uint16_t, std::array<std::string, 2>> streams_;
};

// An AF_PACKET fanout group on loopback (needs root): real connections made by this process
// are split between the two sockets, each connection whole (both directions) on one of them.
TEST(PacketSource, LiveFanoutKeepsEachConnectionOnOneSocket) {
  if (::geteuid() != 0) GTEST_SKIP() << "live capture needs root";
  sockaddr_in addr{};
  const int listener = listen_on_loopback(addr, 64);
  ASSERT_GE(listener, 0);

  SourceOptions o;
  o.interface = "lo";
  o.filter = fmt::format("tcp port {}", ntohs(addr.sin_port));
  o.timeout_ms = 50;
  o.snaplen = 65535;
  o.fanout = 2;
  auto source = PacketSource::open(o);
  ASSERT_EQ(source.fanout_members().size(), 1u);
  PacketSource& other = source.fanout_members().front();

  constexpr int kConnections = 40;
  std::array<StreamsByPort, 2> seen;
  std::array<std::size_t, 2> frames{};
  const auto capture = [](PacketSource& from, StreamsByPort& into, std::size_t& count) {
    Reassembler r(Config{}, into);
    while (auto f = from.next()) {  // until stopped
      ++count;
      r.process(*f);
    }
    r.finish();
  };
  std::jthread first([&] { capture(source, seen[0], frames[0]); });
  std::jthread second([&] { capture(other, seen[1], frames[1]); });

  std::map<std::uint16_t, int> client_ports;
  for (int i = 0; i < kConnections; ++i) {
    const int client = ::socket(AF_INET, SOCK_STREAM, 0);
    ASSERT_EQ(::connect(client, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
    sockaddr_in mine{};
    socklen_t mine_len = sizeof mine;
    ::getsockname(client, reinterpret_cast<sockaddr*>(&mine), &mine_len);
    client_ports[ntohs(mine.sin_port)] = i;
    const int server = ::accept(listener, nullptr, nullptr);
    const auto request = fmt::format("request {}", i);
    const auto reply = fmt::format("reply {}", i);
    (void)::write(client, request.data(), request.size());
    char buf[64];
    (void)::read(server, buf, sizeof buf);
    (void)::write(server, reply.data(), reply.size());
    (void)::read(client, buf, sizeof buf);
    ::close(client);
    ::close(server);
  }
  ::close(listener);
  // Time for the last packets to be read, then stopping the source stops the other member too.
  std::this_thread::sleep_for(std::chrono::seconds(1));
  source.stop();
  first.join();
  second.join();

  // A loaded machine may still drop a packet or two (each can spoil one connection): what was
  // captured must never be split, whatever was lost.
  const auto drops = source.kernel_drops();
  std::size_t whole = 0;
  for (const auto& [port, i] : client_ports) {
    const auto request = fmt::format("request {}", i);
    const auto reply = fmt::format("reply {}", i);
    const bool on_first = seen[0].streams().contains(port);
    const bool on_second = seen[1].streams().contains(port);
    // Both sockets seeing every frame would mean the second never joined the group.
    EXPECT_FALSE(on_first && on_second)
        << "connection " << i << " was split between the sockets (frames seen: " << frames[0]
        << " and " << frames[1] << "; kernel drops " << drops << ")";
    if (drops == 0) {
      EXPECT_TRUE(on_first || on_second) << "connection " << i << " was not seen";
    }
    const auto& streams = (on_first ? seen[0] : seen[1]).streams();
    if (!streams.contains(port)) continue;
    const auto& both = streams.at(port);
    if (drops == 0) {
      EXPECT_EQ(both[0], request) << "connection " << i;
      EXPECT_EQ(both[1], reply) << "connection " << i;
    }
    whole += both[0] == request && both[1] == reply;
  }
  EXPECT_GE(whole + drops, static_cast<std::size_t>(kConnections)) << drops << " dropped";
  // 40 connections all hashed to one socket would be a 1 in 2^39 chance.
  EXPECT_GT(seen[0].streams().size(), 0u);
  EXPECT_GT(seen[1].streams().size(), 0u);
}

/// The fanout group id the socket behind `pcap` is in, or -1.
int fanout_group_of(pcap_t* pcap) {
  std::uint32_t arg = 0;
  socklen_t length = sizeof arg;
  if (::getsockopt(pcap_fileno(pcap), SOL_PACKET, PACKET_FANOUT, &arg, &length) != 0) return -1;
  return static_cast<int>(arg & 0xffffu);
}

// The kernel hands out unique fanout ids counting up from 0 after boot, so the first group on a
// fresh machine has id 0; its members must join that group, not start groups of their own
// (which once left each socket seeing every frame). Ids are per network namespace: a private
// one lets this test use id 0 without meeting any other capture.
TEST(PacketSource, FanoutMembersJoinTheGroupWhateverItsIdIncludingZero) {
  if (::geteuid() != 0) GTEST_SKIP() << "needs root (a network namespace, packet sockets)";
  std::string failure;
  std::thread([&] {
    // unshare() moves only this thread into the new namespace.
    if (::unshare(CLONE_NEWNET) != 0) {
      failure = fmt::format("unshare(CLONE_NEWNET): {}", std::strerror(errno));
      return;
    }
    const int control = ::socket(AF_INET, SOCK_DGRAM, 0);
    ifreq up{};
    std::snprintf(up.ifr_name, sizeof up.ifr_name, "lo");
    up.ifr_flags = IFF_UP;
    if (control < 0 || ::ioctl(control, SIOCSIFFLAGS, &up) != 0) failure = "cannot bring lo up";
    ::close(control);
    if (!failure.empty()) return;
    using Handle = std::unique_ptr<pcap_t, decltype(&pcap_close)>;
    const auto open = [](std::string& why) {
      char error[PCAP_ERRBUF_SIZE] = {};
      Handle handle(pcap_create("lo", error), &pcap_close);
      if (!handle || pcap_activate(handle.get()) < 0) why = "cannot capture on the namespace's lo";
      return handle;
    };
    std::array<Handle, 4> sockets{open(failure), open(failure), open(failure), open(failure)};
    if (!failure.empty()) return;
    try {
      const auto fresh = detail::start_fanout_group(sockets[0].get(), "lo");
      detail::join_fanout_group(sockets[1].get(), "lo", fresh);
      detail::join_fanout_group(sockets[2].get(), "lo", 0);
      detail::join_fanout_group(sockets[3].get(), "lo", 0);
      std::array<int, 4> groups{};
      for (std::size_t i = 0; i < groups.size(); ++i) groups[i] = fanout_group_of(sockets[i].get());
      if (groups[0] != fresh || groups[1] != fresh || groups[2] != 0 || groups[3] != 0) {
        failure = fmt::format("groups {} {} {} {}, expected {} {} 0 0", groups[0], groups[1],
                              groups[2], groups[3], fresh, fresh);
      }
    } catch (const std::exception& e) {
      failure = e.what();
    }
  }).join();
  EXPECT_EQ(failure, "");
}

// A burst of `count` small UDP datagrams on loopback, all sent before anyone reads: how many
// the capture then delivers, and how many the kernel says it dropped.
struct BurstResult {
  std::size_t delivered = 0;
  std::uint64_t kernel_drops = 0;
  int exceptions = 0;  ///< thrown by the sink and caught by the reading loop
};

enum class Reading { Copied, InPlace };  // next() or read_ready()

// A UDP socket bound to a free loopback port, and a socket that sends to it.
class LoopbackUdp {
 public:
  LoopbackUdp() {
    addr_.sin_family = AF_INET;
    addr_.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof addr_;
    bound_ = receiver_ >= 0 && sender_ >= 0 &&
             ::bind(receiver_, reinterpret_cast<sockaddr*>(&addr_), sizeof addr_) == 0 &&
             ::getsockname(receiver_, reinterpret_cast<sockaddr*>(&addr_), &len) == 0;
  }
  LoopbackUdp(const LoopbackUdp&) = delete;
  LoopbackUdp& operator=(const LoopbackUdp&) = delete;
  ~LoopbackUdp() {
    if (sender_ >= 0) ::close(sender_);
    if (receiver_ >= 0) ::close(receiver_);
  }
  [[nodiscard]] bool bound() const noexcept { return bound_; }
  /// A capture filter for the datagrams sent to it.
  [[nodiscard]] std::string filter() const {
    return fmt::format("udp dst port {}", ntohs(addr_.sin_port));
  }
  bool send(std::string_view payload) const {
    return ::sendto(sender_, payload.data(), payload.size(), 0,
                    reinterpret_cast<const sockaddr*>(&addr_),
                    sizeof addr_) == static_cast<ssize_t>(payload.size());
  }

 private:
  int receiver_ = ::socket(AF_INET, SOCK_DGRAM, 0);
  int sender_ = ::socket(AF_INET, SOCK_DGRAM, 0);
  sockaddr_in addr_{};
  bool bound_ = false;
};

// `throw_after`: with Reading::InPlace, the sink throws once, right after datagram n.
BurstResult capture_burst(SourceOptions o, int count, Reading reading = Reading::Copied,
                          std::optional<std::size_t> throw_after = std::nullopt) {
  const LoopbackUdp udp;
  EXPECT_TRUE(udp.bound());
  o.interface = "lo";
  o.filter = udp.filter();
  auto source = PacketSource::open(o);
  for (int i = 0; i < count; ++i) EXPECT_TRUE(udp.send(fmt::format("burst {}", i)));

  Recorder rec;
  Reassembler r(Config{}, rec);
  // next() waits for packets until stopped: once nothing has come for a while, all that will
  // come has (a watchdog ends the wait).
  std::atomic<std::size_t> seen{0};
  std::jthread watchdog([&](std::stop_token done) {
    std::size_t last = 0;
    auto quiet_since = std::chrono::steady_clock::now();
    while (!done.stop_requested()) {
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
      const auto now = std::chrono::steady_clock::now();
      if (const auto n = seen.load(); n != last) {
        last = n;
        quiet_since = now;
      } else if (now - quiet_since > std::chrono::milliseconds(500)) {
        break;
      }
    }
    source.stop();
  });
  int exceptions = 0;
  const auto sink = [&](const RawFrame& f) {
    r.process(f);
    seen = rec.udp_payloads.size();
    if (throw_after && exceptions == 0 && rec.udp_payloads.size() == *throw_after + 1) {
      throw std::runtime_error("the sink fails");
    }
  };
  while (rec.udp_payloads.size() < static_cast<std::size_t>(count)) {
    if (reading == Reading::Copied) {
      auto f = source.next();
      if (!f) break;
      sink(*f);
      continue;
    }
    try {
      if (!source.read_ready(sink)) break;
    } catch (const std::runtime_error&) {
      ++exceptions;
    }
  }
  watchdog.request_stop();
  watchdog.join();
  for (std::size_t i = 0; i < rec.udp_payloads.size(); ++i) {
    if (rec.udp_payloads[i] != fmt::format("burst {}", i)) {
      ADD_FAILURE() << "datagram " << i << " is " << rec.udp_payloads[i];
      break;
    }
  }
  return {rec.udp_payloads.size(), source.kernel_drops(), exceptions};
}

// In immediate mode libpcap cuts the kernel ring into slots as large as the biggest frame the
// interface can hand over (about 64 KiB on loopback, as on any link with segmentation
// offloads, in 128 KiB blocks), so its 2 MiB default holds 16 packets: a reader busy for a
// moment loses the rest. The tools' default buffer must hold a burst of a few hundred packets
// sent while nobody reads, even in immediate mode.
TEST(PacketSource, LiveDefaultBufferHoldsABurstWhileTheReaderIsBusy) {
  if (::geteuid() != 0) GTEST_SKIP() << "live capture needs root";
  for (const bool immediate : {false, true}) {
    SCOPED_TRACE(immediate ? "immediate mode" : "blocks");
    SourceOptions o;  // the default buffer, as the tools use it without -B
    o.immediate = immediate;
    const auto got = capture_burst(o, 300);
    EXPECT_EQ(got.kernel_drops, 0u);
    EXPECT_EQ(got.delivered, 300u);
  }
}

// Blocks (the default) pack frames one after another, so the same 64 MiB holds thousands of
// packets where immediate mode's slots hold 512: why the tools read in blocks.
TEST(PacketSource, LiveBlocksHoldABurstThatOverflowsImmediateModesSlots) {
  if (::geteuid() != 0) GTEST_SKIP() << "live capture needs root";
  constexpr int kBurst = 3000;
  SourceOptions o;
  const auto blocks = capture_burst(o, kBurst);
  EXPECT_EQ(blocks.kernel_drops, 0u);
  EXPECT_EQ(blocks.delivered, static_cast<std::size_t>(kBurst));
  o.immediate = true;
  const auto immediate = capture_burst(o, kBurst);
  EXPECT_LT(immediate.delivered, static_cast<std::size_t>(kBurst));
  EXPECT_GT(immediate.kernel_drops, 0u);
}

// A block that is not full is handed over when its timeout expires: on a quiet link a lone
// packet still arrives (libpcap's blocks without a timeout would hold it until full).
TEST(PacketSource, LiveBlocksHandALonePacketOverAfterTheBlockTimeout) {
  if (::geteuid() != 0) GTEST_SKIP() << "live capture needs root";
  SourceOptions o;
  o.timeout_ms = 20;  // the capture gives up after 500 ms without a packet
  EXPECT_EQ(capture_burst(o, 1).delivered, 1u);
}

// read_ready() reads the kernel's blocks in place: the same frames as next(), none lost.
TEST(PacketSource, LiveReadReadyReadsABurstInPlace) {
  if (::geteuid() != 0) GTEST_SKIP() << "live capture needs root";
  SourceOptions o;
  const auto blocks = capture_burst(o, 3000, Reading::InPlace);
  EXPECT_EQ(blocks.kernel_drops, 0u);
  EXPECT_EQ(blocks.delivered, 3000u);
  o.immediate = true;
  EXPECT_EQ(capture_burst(o, 300, Reading::InPlace).delivered, 300u);
}

// A sink that throws in the middle of a block: the exception reaches the caller (not through
// libpcap's C frames), and the frames after it come with the next read, none lost or repeated.
TEST(PacketSource, LiveSinkExceptionLeavesTheRestOfTheBlockForTheNextRead) {
  if (::geteuid() != 0) GTEST_SKIP() << "live capture needs root";
  const auto got = capture_burst(SourceOptions{}, 200, Reading::InPlace, 49);
  EXPECT_EQ(got.exceptions, 1);
  EXPECT_EQ(got.delivered, 200u);  // and in order: capture_burst checks every payload
}

// The exception comes with the last frame the kernel had: the capture goes on (the break that
// stopped the dispatch must not read as its end, whenever libpcap clears it).
TEST(PacketSource, LiveSinkExceptionOnTheLastFrameDoesNotEndTheCapture) {
  if (::geteuid() != 0) GTEST_SKIP() << "live capture needs root";
  const LoopbackUdp udp;
  ASSERT_TRUE(udp.bound());
  SourceOptions o;
  o.interface = "lo";
  o.filter = udp.filter();
  o.timeout_ms = 20;
  auto source = PacketSource::open(o);

  Recorder rec;
  Reassembler r(Config{}, rec);
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  ASSERT_TRUE(udp.send("first"));
  bool thrown = false;
  while (!thrown && std::chrono::steady_clock::now() < deadline) {
    try {
      ASSERT_TRUE(source.read_ready([&](const RawFrame& f) {
        r.process(f);
        throw std::runtime_error("the sink fails");
      }));
    } catch (const std::runtime_error&) {
      thrown = true;
    }
  }
  ASSERT_TRUE(thrown) << "the datagram never came";
  ASSERT_TRUE(udp.send("second"));
  while (rec.udp_payloads.size() < 2 && std::chrono::steady_clock::now() < deadline) {
    ASSERT_TRUE(source.read_ready([&](const RawFrame& f) { r.process(f); }))
        << "read as the end of the capture";
  }
  EXPECT_EQ(rec.udp_payloads, (std::vector<std::string>{"first", "second"}));
}

TEST(PacketSource, FanoutOpensOneSocketPerMember) {
  if (::geteuid() != 0) GTEST_SKIP() << "live capture needs root";
  SourceOptions o;
  o.interface = "lo";
  o.fanout = 3;
  auto source = PacketSource::open(o);
  EXPECT_EQ(source.fanout_members().size(), 2u);
  o.fanout = 1;  // one socket: no group
  EXPECT_TRUE(PacketSource::open(o).fanout_members().empty());
}

}  // namespace
}  // namespace flowkit::testing
