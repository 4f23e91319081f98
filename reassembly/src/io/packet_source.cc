#include "flowkit/packet_source.h"

#include <fmt/format.h>
#include <pcap/pcap.h>

#include <algorithm>
#include <atomic>
#include <exception>
#include <filesystem>
#include <map>
#include <system_error>

#include "flowkit/link_type.h"
#include "io/bpf_program.h"
#include "io/fanout.h"

namespace flowkit {

namespace {

using detail::BpfProgram;
using detail::PcapHandle;

struct PendingFile {
  std::string path;
  Timestamp first_ts{};
  std::optional<CaptureFileReader> reader;  // kept open only for stdin, which cannot reopen
};

}  // namespace

std::vector<std::string> expand_inputs(const std::vector<std::string>& inputs) {
  namespace fs = std::filesystem;
  std::vector<std::string> out;
  for (const auto& input : inputs) {
    if (input == "-") {
      out.push_back(input);
      continue;
    }
    std::error_code ec;
    const auto status = fs::status(input, ec);
    if (ec || !fs::exists(status)) {
      throw CaptureError(fmt::format("{}: no such file or directory", input));
    }
    if (!fs::is_directory(status)) {
      out.push_back(input);
      continue;
    }
    std::vector<std::string> files;
    for (const auto& entry : fs::directory_iterator(input, ec)) {
      if (entry.is_regular_file()) files.push_back(entry.path().string());
    }
    if (ec) throw CaptureError(fmt::format("{}: cannot list directory: {}", input, ec.message()));
    std::sort(files.begin(), files.end());
    out.insert(out.end(), files.begin(), files.end());
  }
  return out;
}

class PacketSource::Impl {
 public:
  explicit Impl(const SourceOptions& options) : options_(options), filter_(options.filter) {
    if (options.files.empty()) {
      open_live(options);
      if (options.fanout > 1) open_fanout(options);
    } else {
      open_files(options);
    }
  }

  std::optional<RawFrame> next() {
    while (!stopped_.load(std::memory_order_relaxed)) {
      auto frame = live_ ? next_live() : next_file_frame();
      if (!frame) return std::nullopt;
      if (passes(*frame)) return frame;
      ++filtered_out_;
    }
    return std::nullopt;
  }

  using FrameCall = void (*)(void*, const RawFrame&);

  bool read_ready(FrameCall call, void* sink) {
    if (stopped_.load(std::memory_order_relaxed)) return false;
    if (live_) return dispatch_live(call, sink);
    // Files: frames stay valid until the reader moves on, so this is next() in a loop; a few
    // at a time keeps stop() and the caller's checks between calls prompt.
    constexpr int kFileBurst = 64;
    for (int n = 0; n < kFileBurst; ++n) {
      auto frame = next();
      if (!frame) return n > 0;
      call(sink, *frame);
    }
    return true;
  }

  void stop() noexcept {
    // Released before the break, so a reader that sees the break sees this too.
    stopped_.store(true, std::memory_order_release);
    if (live_) pcap_breakloop(live_.get());
    for (auto& member : members_) member.stop();
  }

  [[nodiscard]] bool stopped() const noexcept { return stopped_.load(std::memory_order_relaxed); }
  [[nodiscard]] bool live() const noexcept { return live_ != nullptr; }

  [[nodiscard]] SourceProgress progress() const noexcept {
    SourceProgress p;
    p.file_count = file_count_;
    p.file_index = opened_;
    p.bytes_total = bytes_total_;
    p.bytes_done = bytes_finished_ + bytes_elsewhere_;
    for (const auto& r : open_) {
      if (r.reader) p.bytes_done += r.reader->bytes_read();
    }
    return p;
  }

  [[nodiscard]] std::uint64_t kernel_drops() const noexcept {
    if (!live_) return 0;
    std::uint64_t drops = 0;
    for (const auto& member : members_) drops += member.kernel_drops();
    pcap_stat stats{};
    if (pcap_stats(live_.get(), &stats) != 0) return drops;
    return drops + stats.ps_drop + stats.ps_ifdrop;
  }

  [[nodiscard]] std::span<PacketSource> fanout_members() noexcept { return members_; }

  [[nodiscard]] std::uint64_t filtered_out() const noexcept { return filtered_out_; }
  [[nodiscard]] const SourceOptions& options() const noexcept { return options_; }
  void read_elsewhere(std::uint64_t bytes_done, std::uint64_t filtered_out) noexcept {
    opened_ = std::max<std::size_t>(opened_, 1);  // the only file is being read, elsewhere
    bytes_elsewhere_ = bytes_done;
    filtered_out_ = filtered_out;
  }

 private:
  // One open file and the frame it will hand out next.
  struct OpenFile {
    std::optional<CaptureFileReader> reader;
    std::optional<RawFrame> pending;
  };

  void open_live(const SourceOptions& options) {
    char errbuf[PCAP_ERRBUF_SIZE] = {};
    const std::string& name = options.interface;
    if (name.empty()) throw CaptureError("no input: give capture files or an interface");
    live_.reset(pcap_create(name.c_str(), errbuf));
    if (!live_) throw CaptureError(fmt::format("{}: {}", name, errbuf));
    pcap_set_snaplen(live_.get(), options.snaplen);
    pcap_set_promisc(live_.get(), options.promiscuous ? 1 : 0);
    pcap_set_timeout(live_.get(), options.timeout_ms);
    if (options.immediate) pcap_set_immediate_mode(live_.get(), 1);
    if (options.buffer_size > 0) pcap_set_buffer_size(live_.get(), options.buffer_size);
    const int status = pcap_activate(live_.get());
    if (status < 0) {
      std::string why = pcap_geterr(live_.get());
      switch (status) {
        case PCAP_ERROR_NO_SUCH_DEVICE:
          why = "no such interface";
          break;
        case PCAP_ERROR_PERM_DENIED:
          why = fmt::format("permission denied (capturing needs root or CAP_NET_RAW): {}", why);
          break;
        case PCAP_ERROR_PROMISC_PERM_DENIED:
          why = "permission denied for promiscuous mode";
          break;
        case PCAP_ERROR_IFACE_NOT_UP:
          why = "interface is down";
          break;
        default:
          break;
      }
      throw CaptureError(fmt::format("{}: cannot capture: {}", name, why));
    }
    const int link = pcap_datalink(live_.get());
    if (!link_type_supported(link)) {
      throw CaptureError(
          fmt::format("{}: link type {} is not supported", name, link_type_name(link)));
    }
    if (!filter_.empty()) {
      live_program_.compile(live_.get(), filter_, link);
      if (pcap_setfilter(live_.get(), live_program_.get()) != 0) {
        throw CaptureError(
            fmt::format("{}: cannot set filter: {}", name, pcap_geterr(live_.get())));
      }
    }
    live_link_ = link;
  }

  // Every member is opened (and joined) now, with this one, before any privilege is given up.
  void open_fanout(const SourceOptions& options) {
    const auto group = detail::start_fanout_group(live_.get(), options.interface);
    SourceOptions one = options;
    one.fanout = 0;
    for (std::size_t i = 1; i < options.fanout; ++i) {
      auto member = PacketSource::open(one);
      detail::join_fanout_group(member.impl_->live_.get(), options.interface, group);
      members_.push_back(std::move(member));
    }
  }

  void open_files(const SourceOptions& options) {
    const auto paths = expand_inputs(options.files);
    if (std::count(paths.begin(), paths.end(), "-") > 1) {
      throw CaptureError("standard input can be read only once");
    }
    // Peek at every file's first timestamp now (reporting bad files early), then open each one
    // only when the merge reaches its time: rotated captures keep one or two files open.
    for (const auto& path : paths) {
      auto reader = CaptureFileReader::open(path);
      check_link_type(path, reader.link_type());
      if (auto size = reader.size()) bytes_total_ += *size;
      PendingFile file{path, {}, std::nullopt};
      OpenFile open{std::move(reader), std::nullopt};
      open.pending = open.reader->next();
      if (!open.pending) {
        bytes_finished_ += open.reader->bytes_read();
        ++opened_;
        continue;  // empty file: nothing to merge
      }
      file.first_ts = open.pending->ts;
      if (path == "-") {
        stdin_ = std::move(open);
      }
      waiting_.push_back(std::move(file));
    }
    std::stable_sort(
        waiting_.begin(), waiting_.end(),
        [](const PendingFile& a, const PendingFile& b) { return a.first_ts < b.first_ts; });
    file_count_ = paths.size();
  }

  void check_link_type(const std::string& path, int link) {
    if (link >= 0 && !link_type_supported(link)) {
      throw CaptureError(
          fmt::format("{}: link type {} is not supported", path, link_type_name(link)));
    }
  }

  void open_next_waiting() {
    PendingFile file = std::move(waiting_.front());
    waiting_.erase(waiting_.begin());
    ++opened_;
    if (file.path == "-") {
      open_.push_back(std::move(*stdin_));
      stdin_.reset();
      return;
    }
    OpenFile open{CaptureFileReader::open(file.path), std::nullopt};
    open.pending = open.reader->next();
    open_.push_back(std::move(open));
  }

  std::optional<RawFrame> next_file_frame() {
    // The frame handed out last time points into its reader's buffer: only now may it move on.
    if (last_ != kNone) {
      auto& file = open_[last_];
      file.pending = file.reader->next();
      // The common case, one file left and none waiting: nothing to merge.
      if (file.pending && open_.size() == 1 && waiting_.empty()) return file.pending;
      if (!file.pending) {
        bytes_finished_ += file.reader->bytes_read();
        open_.erase(open_.begin() + static_cast<std::ptrdiff_t>(last_));
      }
      last_ = kNone;
    }
    while (true) {
      std::size_t best = kNone;
      for (std::size_t i = 0; i < open_.size(); ++i) {
        if (best == kNone || open_[i].pending->ts < open_[best].pending->ts) best = i;
      }
      if (!waiting_.empty() &&
          (best == kNone || waiting_.front().first_ts <= open_[best].pending->ts)) {
        open_next_waiting();
        if (!open_.back().pending) {
          bytes_finished_ += open_.back().reader->bytes_read();
          open_.pop_back();
        }
        continue;
      }
      if (best == kNone) return std::nullopt;
      last_ = best;
      return open_[best].pending;
    }
  }

  [[nodiscard]] RawFrame live_frame(const pcap_pkthdr& header, const u_char* data) const {
    RawFrame frame;
    frame.ts =
        std::chrono::seconds(header.ts.tv_sec) + std::chrono::microseconds(header.ts.tv_usec);
    frame.link_type = live_link_;
    frame.data = {reinterpret_cast<const std::byte*>(data), header.caplen};
    frame.wire_length = header.len;
    return frame;
  }

  /// Fails for a read that neither timed out nor was broken off.
  [[noreturn]] void capture_failed() const {
    throw CaptureError(fmt::format("capture failed: {}", pcap_geterr(live_.get())));
  }

  std::optional<RawFrame> next_live() {
    while (true) {
      pcap_pkthdr* header = nullptr;
      const u_char* data = nullptr;
      const int rc = pcap_next_ex(live_.get(), &header, &data);
      if (rc == 1) return live_frame(*header, data);
      if (rc == 0) {  // read timeout: a chance to notice stop()
        if (stopped_.load(std::memory_order_relaxed)) return std::nullopt;
        continue;
      }
      if (rc == PCAP_ERROR_BREAK) {
        if (stopped_.load(std::memory_order_acquire)) return std::nullopt;
        continue;  // a break read_ready() left pending (see dispatch_live())
      }
      capture_failed();
    }
  }

  /// One pcap_dispatch(): the sink reads each frame where the kernel put it. libpcap is C, so
  /// an exception must not unwind through it: the first one stops the dispatch (the frames
  /// after it stay in the ring for the next read) and is thrown from here.
  bool dispatch_live(FrameCall call, void* sink) {
    struct Dispatch {
      const Impl* source;
      FrameCall call;
      void* sink;
      std::exception_ptr error;
    } dispatch{this, call, sink, nullptr};
    const auto on_packet = [](u_char* user, const pcap_pkthdr* header, const u_char* data) {
      auto& d = *reinterpret_cast<Dispatch*>(user);
      if (d.error) return;
      try {
        d.call(d.sink, d.source->live_frame(*header, data));
      } catch (...) {
        d.error = std::current_exception();
        pcap_breakloop(d.source->live_.get());
      }
    };
    const int rc = pcap_dispatch(live_.get(), -1, on_packet, reinterpret_cast<u_char*>(&dispatch));
    if (dispatch.error) std::rethrow_exception(dispatch.error);
    if (rc >= 0) return rc > 0 || !stopped_.load(std::memory_order_relaxed);
    // stop() sets stopped_ before it breaks the loop: a break without it is the one above,
    // which a libpcap that checks for breaks only between frames leaves pending when the
    // exception came with the last frame (Debian's 1.10 clears it in the same dispatch).
    if (rc == PCAP_ERROR_BREAK) return !stopped_.load(std::memory_order_acquire);
    capture_failed();
  }

  bool passes(const RawFrame& frame) {
    if (filter_.empty() || live_) return true;  // live filtering happens in the kernel
    auto it = programs_.find(frame.link_type);
    if (it == programs_.end()) {
      auto program = std::make_unique<BpfProgram>();
      program->compile(filter_, frame.link_type, 262144);
      it = programs_.emplace(frame.link_type, std::move(program)).first;
    }
    return it->second->matches(frame);
  }

  static constexpr std::size_t kNone = static_cast<std::size_t>(-1);

  SourceOptions options_;
  std::string filter_;
  PcapHandle live_;
  int live_link_ = 1;
  BpfProgram live_program_;
  std::map<int, std::unique_ptr<BpfProgram>> programs_;
  std::vector<PendingFile> waiting_;
  std::optional<OpenFile> stdin_;
  std::vector<OpenFile> open_;
  std::size_t last_ = kNone;
  std::size_t file_count_ = 0;
  std::size_t opened_ = 0;
  std::uint64_t bytes_total_ = 0;
  std::uint64_t bytes_finished_ = 0;
  std::uint64_t filtered_out_ = 0;
  std::uint64_t bytes_elsewhere_ = 0;  // read by another reader in this one's place
  std::atomic<bool> stopped_{false};
  std::vector<PacketSource> members_;  // the rest of a fanout group
};

PacketSource PacketSource::open(const SourceOptions& options) {
  return PacketSource(std::make_unique<Impl>(options));
}
PacketSource::PacketSource(std::unique_ptr<Impl> impl) noexcept : impl_(std::move(impl)) {}
PacketSource::PacketSource(PacketSource&&) noexcept = default;
PacketSource& PacketSource::operator=(PacketSource&&) noexcept = default;
PacketSource::~PacketSource() = default;

std::optional<RawFrame> PacketSource::next() {
  return impl_->next();
}
bool PacketSource::read_ready(void (*call)(void* sink, const RawFrame& frame), void* sink) {
  return impl_->read_ready(call, sink);
}
void PacketSource::stop() noexcept {
  impl_->stop();
}
bool PacketSource::stopped() const noexcept {
  return impl_->stopped();
}
bool PacketSource::live() const noexcept {
  return impl_->live();
}
SourceProgress PacketSource::progress() const noexcept {
  return impl_->progress();
}
std::uint64_t PacketSource::kernel_drops() const noexcept {
  return impl_->kernel_drops();
}
std::uint64_t PacketSource::filtered_out() const noexcept {
  return impl_->filtered_out();
}
const SourceOptions& PacketSource::options() const noexcept {
  return impl_->options();
}
std::span<PacketSource> PacketSource::fanout_members() noexcept {
  return impl_->fanout_members();
}
void PacketSource::read_elsewhere(std::uint64_t bytes_done, std::uint64_t filtered_out) noexcept {
  impl_->read_elsewhere(bytes_done, filtered_out);
}

std::string link_type_name(int link_type) {
  const char* name = pcap_datalink_val_to_name(link_type);
  const char* description = pcap_datalink_val_to_description(link_type);
  if (name == nullptr) return std::to_string(link_type);
  if (description == nullptr) return fmt::format("{} ({})", link_type, name);
  return fmt::format("{} ({}, {})", link_type, name, description);
}

}  // namespace flowkit
