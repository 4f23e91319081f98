#include "stream_matcher.h"

#include <fmt/format.h>

#include <stdexcept>

namespace flowkit::flowgrep {

namespace {

struct ScanContext {
  std::vector<Hit>* hits;
  std::vector<bool>* reported;
  std::uint64_t base;
};

extern "C" int on_match(unsigned id, unsigned long long from, unsigned long long to, unsigned,
                        void* context) {
  auto* ctx = static_cast<ScanContext*>(context);
  if (id < ctx->reported->size() && !(*ctx->reported)[id]) {
    (*ctx->reported)[id] = true;
    ctx->hits->push_back({id, ctx->base + from, ctx->base + to});
  }
  return 0;  // keep scanning: other patterns may match too
}

}  // namespace

StreamMatcher::StreamMatcher(const CompiledPatterns& patterns) : patterns_(patterns) {
  hs_scratch_t* scratch = nullptr;
  if (hs_alloc_scratch(patterns_.database(), &scratch) != HS_SUCCESS) {
    throw std::runtime_error("cannot allocate Hyperscan scratch space");
  }
  scratch_.reset(scratch);
}

void StreamMatcher::open(DirectionStream& stream, std::uint64_t offset) {
  hs_stream_t* s = nullptr;
  if (hs_open_stream(patterns_.database(), 0, &s) != HS_SUCCESS) {
    throw std::runtime_error("cannot open a Hyperscan stream (out of memory?)");
  }
  stream.stream_.reset(s);
  stream.base_ = offset;
  if (stream.reported_.size() != patterns_.size()) stream.reported_.assign(patterns_.size(), false);
}

void StreamMatcher::scan(DirectionStream& stream, std::uint64_t offset,
                         std::span<const std::byte> bytes, std::vector<Hit>& hits) {
  if (!stream.open()) open(stream, offset);
  ScanContext ctx{&hits, &stream.reported_, stream.base_};
  hs_scan_stream(stream.stream_.get(), reinterpret_cast<const char*>(bytes.data()),
                 static_cast<unsigned>(bytes.size()), 0, scratch_.get(), on_match, &ctx);
}

void StreamMatcher::restart(DirectionStream& stream, std::uint64_t offset, std::vector<Hit>& hits) {
  close(stream, hits);
  open(stream, offset);
}

void StreamMatcher::close(DirectionStream& stream, std::vector<Hit>& hits) {
  if (!stream.open()) return;
  ScanContext ctx{&hits, &stream.reported_, stream.base_};
  hs_close_stream(stream.stream_.release(), scratch_.get(), on_match, &ctx);
}

}  // namespace flowkit::flowgrep
