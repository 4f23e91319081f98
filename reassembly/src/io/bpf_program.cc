#include "io/bpf_program.h"

#include <fmt/format.h>

#include <algorithm>

#include "flowkit/capture_file.h"
#include "flowkit/link_type.h"

namespace flowkit::detail {

void BpfProgram::compile(pcap_t* handle, const std::string& filter, int link_type) {
  if (pcap_compile(handle, &program_, filter.c_str(), 1, PCAP_NETMASK_UNKNOWN) != 0) {
    throw CaptureError(fmt::format("bad filter '{}' for link type {}: {}", filter,
                                   link_type_name(link_type), pcap_geterr(handle)));
  }
  compiled_ = true;
}

void BpfProgram::compile(const std::string& filter, int link_type, int snaplen) {
  PcapHandle dead(pcap_open_dead(link_type, snaplen));
  if (!dead) throw CaptureError("cannot prepare the BPF compiler");
  compile(dead.get(), filter, link_type);
}

bool BpfProgram::matches(const RawFrame& frame) const noexcept {
  pcap_pkthdr header{};
  header.caplen = static_cast<bpf_u_int32>(frame.data.size());
  header.len = std::max<bpf_u_int32>(frame.wire_length, header.caplen);
  return pcap_offline_filter(&program_, &header,
                             reinterpret_cast<const u_char*>(frame.data.data())) != 0;
}

}  // namespace flowkit::detail
