// The request log: field lists, httpry-style text lines with escaping, JSON lines, times.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <stdexcept>
#include <string>

#include "flowkit/httpgraph/log_fields.h"
#include "flowkit/httpgraph/request_log.h"
#include "flowkit/httpgraph/time_format.h"

namespace flowkit::httpgraph {
namespace {

Transaction sample(bool answered = true) {
  Transaction t;
  t.flow.client = *IpAddress::parse("192.168.1.101");
  t.flow.server = *IpAddress::parse("2001:db8::80");
  t.flow.client_port = 51000;
  t.flow.server_port = 8080;
  t.request.time = std::chrono::seconds(1700000000) + std::chrono::microseconds(3042);
  t.request.method = "GET";
  t.request.target = "/news.html?id=1#x";
  t.request.version = "HTTP/1.1";
  t.request.host = "Example.COM";
  t.request.has_host = true;
  t.request.referer = "http://example.com/";
  t.request.has_referer = true;
  t.request.user_agent = "curl/8.0";
  t.request.extra = {{"cookie", "a=1; b=2"}};
  if (answered) {
    t.response = HttpResponse{};
    t.response->status = 404;
    t.response->reason = "Not Found";
    t.response->content_type = "text/html; charset=utf-8";
  }
  return t;
}

TEST(TimeFormat, UtcWithMicroseconds) {
  const Timestamp ts = std::chrono::seconds(1700000000) + std::chrono::nanoseconds(3042999);
  EXPECT_EQ(format_time(ts, TimeStyle::Log), "2023-11-14 22:13:20.003042");
  EXPECT_EQ(format_time(ts, TimeStyle::Iso8601), "2023-11-14T22:13:20.003042Z");
  EXPECT_EQ(format_time(Timestamp{}, TimeStyle::Log), "1970-01-01 00:00:00.000000");
}

TEST(LogFields, DefaultsFollowHttpry) {
  std::vector<std::string> names;
  for (const auto& f : default_log_fields()) names.push_back(f.name);
  EXPECT_EQ(names, (std::vector<std::string>{"timestamp", "source-ip", "dest-ip", "method", "host",
                                             "request-uri", "http-version", "status-code",
                                             "reason-phrase"}));
  EXPECT_EQ(all_builtin_fields().size(), builtin_fields().size());
}

TEST(LogFields, ListsChooseAndOrderFieldsOtherNamesAreHeaders) {
  const auto fields = parse_fields("Status-Code, host,Cookie,x-forwarded-for");
  ASSERT_EQ(fields.size(), 4u);
  EXPECT_EQ(fields[0], (LogField{FieldId::StatusCode, "status-code"}));
  EXPECT_EQ(fields[1], (LogField{FieldId::Host, "host"}));
  EXPECT_EQ(fields[2], (LogField{FieldId::Header, "cookie"}));
  EXPECT_EQ(header_fields(fields), (std::vector<std::string>{"cookie", "x-forwarded-for"}));
  EXPECT_THROW((void)parse_fields(""), std::invalid_argument);
  EXPECT_THROW((void)parse_fields("host,,method"), std::invalid_argument);
  EXPECT_THROW((void)parse_fields("host,bad name"), std::invalid_argument);
  EXPECT_THROW((void)parse_fields("a\"b"), std::invalid_argument);
}

TEST(TextLog, OneTabSeparatedLinePerRequest) {
  const RequestLog log(RequestLog::Format::Text, default_log_fields());
  EXPECT_EQ(log.header(),
            "# Fields: timestamp,source-ip,dest-ip,method,host,request-uri,http-version,"
            "status-code,reason-phrase\n");
  EXPECT_EQ(log.line(sample()),
            "2023-11-14 22:13:20.003042\t192.168.1.101\t2001:db8::80\tGET\tExample.COM\t"
            "/news.html?id=1#x\tHTTP/1.1\t404\tNot Found\n");
  EXPECT_EQ(log.line(sample(false)),
            "2023-11-14 22:13:20.003042\t192.168.1.101\t2001:db8::80\tGET\tExample.COM\t"
            "/news.html?id=1#x\tHTTP/1.1\t-\t-\n");
}

TEST(TextLog, ChosenFieldsIncludingHeadersAndTheNormalisedUrl) {
  const RequestLog log(
      RequestLog::Format::Text,
      parse_fields("url,source-port,dest-port,content-type,cookie,referer,accept"));
  EXPECT_EQ(log.line(sample()),
            "http://example.com/news.html?id=1\t51000\t8080\ttext/html; charset=utf-8\t"
            "a=1; b=2\thttp://example.com/\t-\n");
}

TEST(TextLog, ValuesCannotBreakTheLine) {
  EXPECT_EQ(escape_log_value(""), "-");
  EXPECT_EQ(escape_log_value("a\tb\nc\rd\\e"), "a\\tb\\nc\\rd\\\\e");
  EXPECT_EQ(escape_log_value(std::string("\x00\x1b\x7f", 3)), "\\x00\\x1B\\x7F");
  EXPECT_EQ(escape_log_value("caf\xc3\xa9 \xff"), "caf\xc3\xa9 \\xFF");
}

TEST(JsonLog, OneObjectPerLineWithTypedValues) {
  const RequestLog log(RequestLog::Format::Json, all_builtin_fields());
  EXPECT_EQ(log.header(), "");
  const std::string line = log.line(sample(false));
  ASSERT_EQ(line.back(), '\n');
  EXPECT_EQ(std::count(line.begin(), line.end(), '\n'), 1);
  const auto j = nlohmann::json::parse(line);
  EXPECT_EQ(j["timestamp"], "2023-11-14T22:13:20.003042Z");
  EXPECT_EQ(j["source-port"], 51000);
  EXPECT_EQ(j["dest-ip"], "2001:db8::80");
  EXPECT_EQ(j["host"], "Example.COM");
  EXPECT_EQ(j["url"], "http://example.com/news.html?id=1");  // Host names no port: 80
  EXPECT_TRUE(j["status-code"].is_null());
  EXPECT_TRUE(j["content-type"].is_null());
  // Keys keep the order the fields were given in.
  EXPECT_EQ(line.substr(0, 14), "{\"timestamp\":\"");
  const auto answered = nlohmann::json::parse(log.line(sample()));
  EXPECT_EQ(answered["status-code"], 404);
  EXPECT_EQ(answered["reason-phrase"], "Not Found");
}

TEST(JsonLog, ArbitraryBytesNeverThrow) {
  auto t = sample();
  t.request.target = std::string("/\xff\xfe\"\\\n\x00", 7);
  t.request.extra = {{"x-bin", "\xc3"}};
  const RequestLog log(RequestLog::Format::Json, parse_fields("request-uri,x-bin"));
  const auto j = nlohmann::json::parse(log.line(t));
  EXPECT_EQ(j["request-uri"], std::string("/\xef\xbf\xbd\xef\xbf\xbd\"\\\n\x00", 11));
  EXPECT_EQ(j["x-bin"], "\xef\xbf\xbd");
}

}  // namespace
}  // namespace flowkit::httpgraph
