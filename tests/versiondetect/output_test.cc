// Output: escaping, the text and JSON formats, unique sightings and the inventory summary.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <cstdio>
#include <memory>
#include <string>

#include "flowkit/versiondetect/escape.h"
#include "flowkit/versiondetect/inventory.h"
#include "flowkit/versiondetect/printer.h"
#include "flowkit/versiondetect/sighting_format.h"
#include "flowkit/versiondetect/summary.h"
#include "flowkit/versiondetect/version_parser.h"
#include "support/command.h"

namespace flowkit::versiondetect {
namespace {

using namespace std::chrono_literals;
using testing::split_lines;

Sighting sighting(std::string host, std::uint16_t port, Role role, std::string banner,
                  Timestamp ts = std::chrono::seconds(1700000000)) {
  Sighting s;
  s.ts = ts;
  s.host = *IpAddress::parse(host);
  s.peer = *IpAddress::parse("192.0.2.1");
  s.port = port;
  s.role = role;
  s.protocol = Protocol::Http;
  s.field = role == Role::Server ? Field::Server : Field::UserAgent;
  s.banner = std::move(banner);
  s.software = parse_software(s.banner);
  return s;
}

// Everything written to a temporary FILE*.
class CapturedFile {
 public:
  CapturedFile() : file_(std::tmpfile()) {}
  std::FILE* get() const { return file_.get(); }
  std::string text() const {
    std::fflush(file_.get());
    std::rewind(file_.get());
    std::string out;
    char buffer[4096];
    std::size_t n = 0;
    while ((n = std::fread(buffer, 1, sizeof buffer, file_.get())) > 0) out.append(buffer, n);
    return out;
  }

 private:
  struct Closer {
    void operator()(std::FILE* f) const noexcept { std::fclose(f); }
  };
  std::unique_ptr<std::FILE, Closer> file_;
};

TEST(Escape, KeepsPrintableAsciiOnly) {
  EXPECT_EQ(escape("Apache/2.4 (Debian)"), "Apache/2.4 (Debian)");
  EXPECT_EQ(escape("a\\b"), "a\\\\b");
  EXPECT_EQ(escape(std::string_view("\x1b[31m\r\n\t\0\x7f", 10)),
            "\\x1b[31m\\x0d\\x0a\\x09\\x00\\x7f");
  EXPECT_EQ(escape("caf\xc3\xa9"), "caf\\xc3\\xa9");
  EXPECT_EQ(escape(""), "");
}

TEST(SightingFormat, TextLineIsIpPortBanner) {
  EXPECT_EQ(format_text(sighting("192.168.1.7", 22, Role::Server, "SSH-2.0-OpenSSH_3.5")),
            "192.168.1.7 22 SSH-2.0-OpenSSH_3.5");
  EXPECT_EQ(format_text(sighting("2001:db8::1", 8080, Role::Client, "curl/8.5.0")),
            "2001:db8::1 8080 curl/8.5.0");
  auto cut = sighting("10.0.0.1", 80, Role::Client, "x\x01");
  cut.truncated = true;
  EXPECT_EQ(format_text(cut), "10.0.0.1 80 x\\x01...");
}

TEST(SightingFormat, JsonHasEveryField) {
  auto s = sighting("198.51.100.80", 80, Role::Server, "Apache/2.4.57 (Debian)",
                    std::chrono::seconds(1700000000) + 3ms);
  const auto j = nlohmann::json::parse(to_json(s).dump());
  EXPECT_EQ(j["type"], "sighting");
  EXPECT_DOUBLE_EQ(j["ts"].get<double>(), 1700000000.003);
  EXPECT_EQ(j["host"], "198.51.100.80");
  EXPECT_EQ(j["port"], 80);
  EXPECT_EQ(j["peer"], "192.0.2.1");
  EXPECT_EQ(j["role"], "server");
  EXPECT_EQ(j["protocol"], "http");
  EXPECT_EQ(j["field"], "server");
  EXPECT_EQ(j["software"], "Apache");
  EXPECT_EQ(j["version"],
            (nlohmann::json{{"major", 2}, {"minor", 4}, {"minor2", 57}, {"addl", "Debian"}}));
  EXPECT_EQ(j["version_string"], "2.4.57-Debian");
  EXPECT_EQ(j["banner"], "Apache/2.4.57 (Debian)");
  EXPECT_EQ(j["truncated"], false);
  // Nothing recognised: software is null and there is no version.
  const auto helo =
      nlohmann::json::parse(to_json(sighting("10.0.0.1", 25, Role::Client, "")).dump());
  EXPECT_TRUE(helo["software"].is_null());
  EXPECT_FALSE(helo.contains("version"));
}

TEST(SightingFormat, JsonIsValidWhateverTheBytes) {
  std::string hostile;
  for (int b = 0; b < 256; ++b) hostile += static_cast<char>(b);
  const auto dumped = to_json(sighting("10.0.0.1", 80, Role::Client, hostile)).dump();
  const auto j = nlohmann::json::parse(dumped);
  EXPECT_EQ(j["banner"], escape(hostile));
}

TEST(Inventory, UniqueByHostPortRoleProtocolFieldAndBanner) {
  Inventory inv;
  EXPECT_TRUE(inv.add(sighting("10.0.0.1", 80, Role::Client, "curl/8.5.0")));
  EXPECT_FALSE(inv.add(sighting("10.0.0.1", 80, Role::Client, "curl/8.5.0")));
  EXPECT_TRUE(inv.add(sighting("10.0.0.1", 8080, Role::Client, "curl/8.5.0")));
  EXPECT_TRUE(inv.add(sighting("10.0.0.2", 80, Role::Client, "curl/8.5.0")));
  EXPECT_TRUE(inv.add(sighting("10.0.0.1", 80, Role::Client, "curl/8.6.0")));
  EXPECT_EQ(inv.unique_count(), 4u);
}

TEST(Inventory, RowsGroupSoftwareVersions) {
  Inventory inv;
  const Timestamp t0 = std::chrono::seconds(1700000000);
  inv.add(sighting("10.0.0.1", 80, Role::Client, "curl/8.5.0", t0 + 5s));
  inv.add(sighting("10.0.0.2", 80, Role::Client, "curl/8.5.0", t0));
  inv.add(sighting("10.0.0.1", 80, Role::Client, "curl/8.5.0", t0 + 9s));
  inv.add(sighting("10.0.0.9", 80, Role::Server, "nginx", t0));
  inv.add(sighting("10.0.0.9", 80, Role::Client, "curl/10.0.0", t0));
  const auto rows = inv.rows();
  ASSERT_EQ(rows.size(), 3u);
  EXPECT_EQ(rows[1].version, "10.0.0");  // after 8.5.0: numbers, not text
  EXPECT_EQ(rows[2].software, "nginx");
  EXPECT_TRUE(rows[2].named);
  EXPECT_EQ(rows[0].software, "curl");
  EXPECT_EQ(rows[0].version, "8.5.0");
  EXPECT_EQ(rows[0].hosts.size(), 2u);
  EXPECT_EQ(rows[0].sightings, 3u);
  EXPECT_EQ(rows[0].first_seen, t0);
  EXPECT_EQ(rows[0].last_seen, t0 + 9s);
}

TEST(Printer, UniqueByDefaultEveryOneWithAll) {
  for (const bool all : {false, true}) {
    CapturedFile out;
    Printer printer(out.get(), PrintOptions{.json = false, .all = all, .flush_each = false});
    printer.on_sighting(sighting("10.0.0.1", 80, Role::Client, "curl/8.5.0"));
    printer.on_sighting(sighting("10.0.0.1", 80, Role::Client, "curl/8.5.0"));
    printer.on_sighting(sighting("10.0.0.2", 80, Role::Server, "nginx/1.25.3"));
    EXPECT_EQ(split_lines(out.text()).size(), all ? 3u : 2u);
    EXPECT_EQ(printer.printed(), all ? 3u : 2u);
  }
}

TEST(Printer, SummaryTable) {
  CapturedFile out;
  Printer printer(out.get(), PrintOptions{});
  printer.on_sighting(sighting("10.0.0.1", 80, Role::Client, "curl/8.5.0"));
  printer.on_sighting(sighting("10.0.0.2", 80, Role::Client, "curl/8.5.0"));
  printer.on_sighting(sighting("10.0.0.9", 80, Role::Server, "\x1b[2Jevil"));
  printer.print_summary();
  const auto lines = split_lines(out.text());
  ASSERT_EQ(lines.size(), 6u);  // 3 sightings, header, 2 rows
  EXPECT_EQ(lines[3],
            "SOFTWARE     VERSION  ROLE    PROTOCOL  HOSTS  SEEN  FIRST SEEN (UTC)     "
            "LAST SEEN (UTC)");
  EXPECT_EQ(lines[4],
            "\\x1b[2Jevil  -        server  http          1     1  2023-11-14 22:13:20  "
            "2023-11-14 22:13:20");
  EXPECT_EQ(lines[5],
            "curl         8.5.0    client  http          2     2  2023-11-14 22:13:20  "
            "2023-11-14 22:13:20");
}

TEST(Printer, JsonSummaryRows) {
  CapturedFile out;
  Printer printer(out.get(), PrintOptions{.json = true, .all = false, .flush_each = false});
  printer.on_sighting(sighting("10.0.0.1", 80, Role::Client, "curl/8.5.0"));
  printer.on_sighting(sighting("10.0.0.2", 80, Role::Client, "curl/8.5.0"));
  printer.print_summary();
  const auto lines = split_lines(out.text());
  ASSERT_EQ(lines.size(), 3u);
  const auto row = nlohmann::json::parse(lines[2]);
  EXPECT_EQ(row["type"], "inventory");
  EXPECT_EQ(row["software"], "curl");
  EXPECT_EQ(row["version"], "8.5.0");
  EXPECT_EQ(row["hosts"], (nlohmann::json{"10.0.0.1", "10.0.0.2"}));
  EXPECT_EQ(row["host_count"], 2);
  EXPECT_EQ(row["sightings"], 2);
}

}  // namespace
}  // namespace flowkit::versiondetect
