#include "flowkit/overlap_policy.h"

#include <gtest/gtest.h>

#include <array>

#include "overlap_resolver.h"

namespace flowkit {
namespace {

using detail::new_data_wins;

constexpr std::array kAllPolicies{OverlapPolicy::First,   OverlapPolicy::Last,
                                  OverlapPolicy::Bsd,     OverlapPolicy::Linux,
                                  OverlapPolicy::Windows, OverlapPolicy::Solaris};

// Usable at compile time, which is what lets the TCP reassembler inline it in its hot path.
static_assert(new_data_wins(OverlapPolicy::Bsd, 10, 20, 5, 15));
static_assert(!new_data_wins(OverlapPolicy::Bsd, 10, 20, 10, 30));

TEST(OverlapPolicyTest, NamesRoundTrip) {
  for (const OverlapPolicy policy : kAllPolicies) {
    const auto name = to_string(policy);
    EXPECT_NE(name, "?");
    EXPECT_EQ(parse_overlap_policy(name), policy) << name;
  }
}

TEST(OverlapPolicyTest, ParsesSuricataNamesCaseInsensitively) {
  EXPECT_EQ(parse_overlap_policy("first"), OverlapPolicy::First);
  EXPECT_EQ(parse_overlap_policy("LAST"), OverlapPolicy::Last);
  EXPECT_EQ(parse_overlap_policy("Bsd"), OverlapPolicy::Bsd);
  EXPECT_EQ(parse_overlap_policy("linux"), OverlapPolicy::Linux);
  EXPECT_EQ(parse_overlap_policy("WinDows"), OverlapPolicy::Windows);
  EXPECT_EQ(parse_overlap_policy("SOLARIS"), OverlapPolicy::Solaris);
}

TEST(OverlapPolicyTest, RejectsUnknownNames) {
  EXPECT_EQ(parse_overlap_policy(""), std::nullopt);
  EXPECT_EQ(parse_overlap_policy("bsd-right"), std::nullopt);
  EXPECT_EQ(parse_overlap_policy("linux "), std::nullopt);
  EXPECT_EQ(parse_overlap_policy("lin"), std::nullopt);
  EXPECT_EQ(parse_overlap_policy("firstx"), std::nullopt);
}

// Old data is [10, 20) throughout; each row is a new range overlapping it and whether the new
// data wins, per policy in kAllPolicies order: First, Last, Bsd, Linux, Windows, Solaris.
struct ResolverCase {
  const char* what;
  std::uint64_t new_begin;
  std::uint64_t new_end;
  std::array<bool, kAllPolicies.size()> new_wins;
};

constexpr std::array kResolverCases{
    ResolverCase{"starts before, ends inside", 5, 15, {false, true, true, true, false, false}},
    ResolverCase{"starts before, ends with", 5, 20, {false, true, true, true, false, true}},
    ResolverCase{"starts before, ends after", 5, 25, {false, true, true, true, true, true}},
    ResolverCase{"same start, ends inside", 10, 15, {false, true, false, false, false, false}},
    ResolverCase{"same range", 10, 20, {false, true, false, false, false, false}},
    ResolverCase{"same start, ends after", 10, 25, {false, true, false, true, false, false}},
    ResolverCase{"strictly inside", 12, 18, {false, true, false, false, false, false}},
    ResolverCase{"starts inside, ends with", 12, 20, {false, true, false, false, false, false}},
    ResolverCase{"starts inside, ends after", 12, 25, {false, true, false, false, false, false}},
};

TEST(OverlapResolverTest, DecidesPerPolicy) {
  for (const ResolverCase& c : kResolverCases) {
    for (std::size_t i = 0; i < kAllPolicies.size(); ++i) {
      EXPECT_EQ(new_data_wins(kAllPolicies[i], 10, 20, c.new_begin, c.new_end), c.new_wins[i])
          << c.what << " under " << to_string(kAllPolicies[i]);
    }
  }
}

}  // namespace
}  // namespace flowkit
