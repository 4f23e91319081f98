#pragma once

#include <pcap/pcap.h>

#include <memory>
#include <string>

#include "flowkit/raw_frame.h"

namespace flowkit::detail {

struct PcapCloser {
  void operator()(pcap_t* p) const noexcept { pcap_close(p); }
};
using PcapHandle = std::unique_ptr<pcap_t, PcapCloser>;

// A compiled BPF program, freed with its owner.
class BpfProgram {
 public:
  BpfProgram() = default;
  BpfProgram(const BpfProgram&) = delete;
  BpfProgram& operator=(const BpfProgram&) = delete;
  ~BpfProgram() {
    if (compiled_) pcap_freecode(&program_);
  }
  /// Compiles `filter` for frames of `link_type`; throws CaptureError naming the filter.
  void compile(pcap_t* handle, const std::string& filter, int link_type);
  /// The same, for files of `link_type` and `snaplen` (a handle of its own).
  void compile(const std::string& filter, int link_type, int snaplen);
  /// pcap_offline_filter only reads the program: one BpfProgram serves many threads.
  [[nodiscard]] bool matches(const RawFrame& frame) const noexcept;
  bpf_program* get() noexcept { return &program_; }

 private:
  bpf_program program_{};
  bool compiled_ = false;
};

}  // namespace flowkit::detail
