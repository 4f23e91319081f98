// How requests and Referers become page URLs: hosts normalised, fragments dropped, queries
// optional, unsafe bytes percent-encoded.
#include <gtest/gtest.h>

#include "flowkit/httpgraph/url.h"

namespace flowkit::httpgraph {
namespace {

std::string key_of(std::string_view target, std::string_view host, bool with_query = false) {
  const auto url = request_url(target, host, "10.0.0.2");
  return url ? url->key(with_query) : "<none>";
}

std::string referer_key(std::string_view referer, bool with_query = false) {
  Url base;
  base.host = "base.example";
  base.path = "/here";
  const auto url = referer_url(referer, base);
  return url ? url->full(with_query) : "<none>";
}

TEST(Host, NormalisedForIdentity) {
  EXPECT_EQ(normalise_host("WWW.Example.COM", "http"), "www.example.com");
  EXPECT_EQ(normalise_host("www.example.com.:80", "http"), "www.example.com");
  EXPECT_EQ(normalise_host("www.example.com:8080", "http"), "www.example.com:8080");
  EXPECT_EQ(normalise_host("www.example.com:443", "https"), "www.example.com");
  EXPECT_EQ(normalise_host("www.example.com:0080", "http"), "www.example.com");
  EXPECT_EQ(normalise_host("user:secret@Example.com", "http"), "example.com");
  EXPECT_EQ(normalise_host("[2001:DB8::1]:8080", "http"), "[2001:db8::1]:8080");
  EXPECT_EQ(normalise_host("2001:db8::1", "http"), "2001:db8::1");
  EXPECT_EQ(normalise_host("  ", "http"), "");
  EXPECT_EQ(normalise_host("a b\"/c", "http"), "a%20b%22%2Fc");
}

TEST(ServerAuthority, NamesTheServerWhenThereIsNoHost) {
  EXPECT_EQ(server_authority(*IpAddress::parse("10.0.0.2"), 80), "10.0.0.2");
  EXPECT_EQ(server_authority(*IpAddress::parse("10.0.0.2"), 8080), "10.0.0.2:8080");
  EXPECT_EQ(server_authority(*IpAddress::parse("2001:db8::80"), 8080), "[2001:db8::80]:8080");
}

TEST(RequestUrl, OriginAndAbsoluteForms) {
  EXPECT_EQ(key_of("/a/b.html?x=1#frag", "Example.com"), "example.com/a/b.html");
  EXPECT_EQ(key_of("/a/b.html?x=1#frag", "example.com", true), "example.com/a/b.html?x=1");
  EXPECT_EQ(key_of("/search?", "example.com", true), "example.com/search?");
  EXPECT_EQ(key_of("/", ""), "10.0.0.2/");
  // A proxy request names its host in the target, which wins over Host.
  EXPECT_EQ(key_of("http://Other.example:80/p?q", "example.com", true), "other.example/p?q");
  EXPECT_EQ(key_of("http://other.example", "example.com"), "other.example/");
  EXPECT_EQ(request_url("https://secure.example/x", "", "")->full(false),
            "https://secure.example/x");
  EXPECT_EQ(key_of("/a b/\"q\"<x>\\\x01\xff", "h"), "h/a%20b/%22q%22%3Cx%3E%5C%01%FF");
}

TEST(RequestUrl, TargetsThatNameNoPage) {
  EXPECT_EQ(key_of("*", "h"), "<none>");
  EXPECT_EQ(key_of("example.com:443", "h"), "<none>");
  EXPECT_EQ(key_of("ftp://example.com/file", "h"), "<none>");
  EXPECT_EQ(key_of("", "h"), "<none>");
}

TEST(RefererUrl, AbsoluteRelativeAndJunk) {
  EXPECT_EQ(referer_key("http://WWW.Example.com:80/index.html#top"),
            "http://www.example.com/index.html");
  EXPECT_EQ(referer_key("https://www.example.com/search?q=1"), "https://www.example.com/search");
  EXPECT_EQ(referer_key("https://www.example.com/search?q=1", true),
            "https://www.example.com/search?q=1");
  EXPECT_EQ(referer_key("HTTP://www.example.com"), "http://www.example.com/");
  EXPECT_EQ(referer_key("/relative/page"), "http://base.example/relative/page");
  EXPECT_EQ(referer_key("//cdn.example/lib.js"), "http://cdn.example/lib.js");
  EXPECT_EQ(referer_key("android-app://com.example.app/"), "<none>");
  EXPECT_EQ(referer_key("about:blank"), "<none>");
  EXPECT_EQ(referer_key("not a url"), "<none>");
  EXPECT_EQ(referer_key("http://"), "<none>");
  EXPECT_EQ(referer_key(""), "<none>");
}

TEST(PercentEncode, OnlyBytesThatHaveNoPlaceInAUrl) {
  EXPECT_EQ(percent_encode_unsafe("/a-b_c.d~e/%41?x=1&y=2;z"), "/a-b_c.d~e/%41?x=1&y=2;z");
  EXPECT_EQ(percent_encode_unsafe("\r\n\t \"<>\\^`{|}\x7f"),
            "%0D%0A%09%20%22%3C%3E%5C%5E%60%7B%7C%7D%7F");
  EXPECT_EQ(percent_encode_unsafe("caf\xc3\xa9"), "caf%C3%A9");
}

}  // namespace
}  // namespace flowkit::httpgraph
