// The detector on crafted conversations: each protocol, banners split across segments, odd
// ports, keep-alive and pipelining, and hostile input.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <random>
#include <string>
#include <vector>

#include "flowkit/versiondetect/escape.h"
#include "flowkit/versiondetect/sighting_format.h"
#include "flowkit/versiondetect/version_parser.h"
#include "packet_builder.h"
#include "support/detect.h"

namespace flowkit::versiondetect {
namespace {

using flowkit::testing::Frame;
using flowkit::testing::TcpSession;
using testing::detect;
using Lines = std::vector<std::string>;

TcpSession session(std::uint16_t server_port, std::string client = "10.0.0.1",
                   std::string server = "10.0.0.2") {
  TcpSession::Options o;
  o.client = std::move(client);
  o.server = std::move(server);
  o.server_port = server_port;
  return TcpSession(o);
}

void close(TcpSession& s, std::vector<Frame>& f) {
  f.push_back(s.client_fin());
  f.push_back(s.server_fin());
  f.push_back(s.client_ack());
}

// Sends `data` in segments of at most 1400 bytes.
void send(TcpSession& s, std::vector<Frame>& f, std::string_view data, bool from_client) {
  constexpr std::size_t kSegment = 1400;
  for (std::size_t at = 0; at < data.size(); at += kSegment) {
    const auto piece = data.substr(at, kSegment);
    f.push_back(from_client ? s.client_send(piece) : s.server_send(piece));
  }
}

std::string binary(std::size_t n, unsigned seed = 1) {
  std::mt19937 rng(seed);
  std::string out(n, '\0');
  for (auto& c : out) c = static_cast<char>(rng() & 0xff);
  return out;
}

// ---- SSH -------------------------------------------------------------------------------------

TEST(DetectorSsh, BothIdentificationsOnANonStandardPort) {
  auto s = session(2222);
  auto f = s.handshake();
  f.push_back(s.server_send("SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u1\r\n"));
  f.push_back(s.client_send("SSH-2.0-PuTTY_Release_0.79\r\n"));
  // The key exchange that follows is binary and large: none of it should reach the parser.
  for (int i = 0; i < 40; ++i) {
    f.push_back(s.client_send(binary(1400, i)));
    f.push_back(s.server_send(binary(1400, i + 100)));
  }
  close(s, f);
  const auto d = detect(f);
  EXPECT_EQ(d.lines(), (Lines{"10.0.0.2 2222 SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u1",
                              "10.0.0.1 2222 SSH-2.0-PuTTY_Release_0.79"}));
  ASSERT_EQ(d.sightings.size(), 2u);
  const auto& server = d.sightings[0];
  EXPECT_EQ(server.role, Role::Server);
  EXPECT_EQ(server.protocol, Protocol::Ssh);
  EXPECT_EQ(server.field, Field::Ident);
  EXPECT_EQ(server.peer.to_string(), "10.0.0.1");
  EXPECT_EQ(server.software.name, "OpenSSH");
  EXPECT_EQ(to_string(server.software.version), "9.2-p1");
  EXPECT_EQ(server.ts, s.options().start + std::chrono::milliseconds(3));
  EXPECT_EQ(d.sightings[1].role, Role::Client);
  EXPECT_EQ(d.sightings[1].software.name, "PuTTY_Release");
  // Collection stopped right after each identification line.
  EXPECT_LT(d.stats.stream_bytes_delivered, 200u);
}

TEST(DetectorSsh, IdentificationSplitAcrossSegmentsAndReordered) {
  auto s = session(22);
  auto f = s.handshake();
  f.push_back(s.server_send("SS"));
  f.push_back(s.server_send("H-2.0-Open"));
  f.push_back(s.server_send("SSH_8.9\r"));
  f.push_back(s.server_send("\n"));
  const std::string ident = "SSH-2.0-libssh_0.10.6\r\n";
  f.push_back(s.client_at(9, ident.substr(9)));  // arrives first
  f.push_back(s.client_at(0, ident.substr(0, 9)));
  const auto d = detect(f);
  EXPECT_EQ(d.lines(),
            (Lines{"10.0.0.2 22 SSH-2.0-OpenSSH_8.9", "10.0.0.1 22 SSH-2.0-libssh_0.10.6"}));
}

TEST(DetectorSsh, ServerLinesBeforeTheIdentification) {
  auto s = session(22);
  auto f = s.handshake();
  f.push_back(s.client_send("SSH-2.0-OpenSSH_9.7\r\n"));
  f.push_back(s.server_send(" _______\n< Hi stranger >\n -------\n\n"));
  f.push_back(s.server_send("SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u5\r\n"));
  const auto d = detect(f);
  EXPECT_EQ(d.lines(), (Lines{"10.0.0.1 22 SSH-2.0-OpenSSH_9.7",
                              "10.0.0.2 22 SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u5"}));
}

TEST(DetectorSsh, SshOneAndIdentificationWithoutNewlineAtClose) {
  auto s = session(2222);
  auto f = s.handshake();
  f.push_back(s.server_send("SSH-1.5-OpenSSH_6.6\n"));
  f.push_back(s.client_send("SSH-1.5-Cisco-1.25"));  // then the connection closes
  close(s, f);
  const auto d = detect(f);
  EXPECT_EQ(d.lines(),
            (Lines{"10.0.0.2 2222 SSH-1.5-OpenSSH_6.6", "10.0.0.1 2222 SSH-1.5-Cisco-1.25"}));
  EXPECT_EQ(to_string(d.sightings[1].software.version), "1.25");
}

// ---- HTTP ------------------------------------------------------------------------------------

std::string request(std::string_view agent, std::string_view extra = "") {
  return fmt::format("GET /x HTTP/1.1\r\nHost: h\r\nUser-Agent: {}\r\n{}\r\n", agent, extra);
}

TEST(DetectorHttp, KeepAliveWithSeveralUserAgents) {
  auto s = session(80, "192.168.1.101", "198.51.100.80");
  auto f = s.handshake();
  const Lines agents{"curl/8.5.0", "Wget/1.21.3", "python-requests/2.31.0",
                     "Mozilla/5.0 (X11; Linux x86_64; rv:121.0) Gecko/20100101 Firefox/121.0"};
  for (std::size_t i = 0; i < agents.size(); ++i) {
    f.push_back(s.client_send(request(agents[i])));
    if (i % 2 == 0) {
      const std::string body(3000, 'b');  // the body of one message crosses segments
      f.push_back(s.server_send(
          fmt::format("HTTP/1.1 200 OK\r\nServer: nginx/1.25.3\r\nContent-Length: {}\r\n\r\n{}",
                      body.size(), body.substr(0, 1000))));
      f.push_back(s.server_send(body.substr(1000)));
    } else {
      f.push_back(s.server_send(
          "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nServer: Apache/2.4.57 (Debian)\r\n"
          "X-Powered-By: PHP/8.2.7\r\n\r\n4\r\nServ\r\n0\r\n\r\n"));
    }
  }
  close(s, f);
  const auto d = detect(f);
  EXPECT_EQ(d.lines(),
            (Lines{"192.168.1.101 80 curl/8.5.0", "198.51.100.80 80 nginx/1.25.3",
                   "192.168.1.101 80 Wget/1.21.3", "198.51.100.80 80 Apache/2.4.57 (Debian)",
                   "198.51.100.80 80 PHP/8.2.7", "192.168.1.101 80 python-requests/2.31.0",
                   "198.51.100.80 80 nginx/1.25.3",
                   "192.168.1.101 80 Mozilla/5.0 (X11; Linux x86_64; rv:121.0) Gecko/20100101 "
                   "Firefox/121.0",
                   "198.51.100.80 80 Apache/2.4.57 (Debian)", "198.51.100.80 80 PHP/8.2.7"}));
  EXPECT_EQ(d.sightings[0].field, Field::UserAgent);
  EXPECT_EQ(d.sightings[0].role, Role::Client);
  EXPECT_EQ(d.sightings[0].port, 80);
  EXPECT_EQ(d.sightings[4].field, Field::PoweredBy);
  EXPECT_EQ(d.sightings[7].software.name, "Firefox");
}

TEST(DetectorHttp, PipelinedRequestsWithHeadOnAnyPort) {
  auto s = session(31337);
  auto f = s.handshake();
  f.push_back(s.client_send(request("A/1") + "HEAD /x HTTP/1.1\r\nUser-Agent: B/2\r\n\r\n" +
                            request("C/3")));
  f.push_back(s.server_send(
      "HTTP/1.1 200 OK\r\nServer: S/1\r\nContent-Length: 5\r\n\r\nhello"
      "HTTP/1.1 200 OK\r\nServer: S/2\r\nContent-Length: 99999\r\n\r\n"  // HEAD: no body
      "HTTP/1.1 200 OK\r\nServer: S/3\r\nContent-Length: 0\r\n\r\n"));
  const auto d = detect(f);
  EXPECT_EQ(d.lines(), (Lines{"10.0.0.1 31337 A/1", "10.0.0.1 31337 B/2", "10.0.0.1 31337 C/3",
                              "10.0.0.2 31337 S/1", "10.0.0.2 31337 S/2", "10.0.0.2 31337 S/3"}));
}

TEST(DetectorHttp, HeaderSplitAcrossSegments) {
  auto s = session(8080);
  auto f = s.handshake();
  f.push_back(s.client_send("GET / HTTP/1.1\r\nUser-Ag"));
  f.push_back(s.client_send("ent: Split/1.0 (te"));
  f.push_back(s.client_send("st)\r\n\r\n"));
  const auto d = detect(f);
  EXPECT_EQ(d.lines(), (Lines{"10.0.0.1 8080 Split/1.0 (test)"}));
}

TEST(DetectorHttp, LostBytesInsideABodyKeepTheStreamInStep) {
  auto s = session(80);
  auto f = s.handshake();
  const std::string first = "POST /up HTTP/1.1\r\nUser-Agent: one/1\r\nContent-Length: 20\r\n\r\n";
  const std::string body = "01234567890123456789";
  const std::string second = request("two/2");
  f.push_back(s.client_at(0, first + body.substr(0, 5)));
  // Bytes 5..15 of the body are never captured; the server acknowledges them.
  const auto after = static_cast<std::uint32_t>(first.size() + 15);
  f.push_back(s.client_at(after, body.substr(15) + second));
  f.push_back(s.server_ack_to(after + static_cast<std::uint32_t>(5 + second.size())));
  const auto d = detect(f);
  EXPECT_EQ(d.lines(), (Lines{"10.0.0.1 80 one/1", "10.0.0.1 80 two/2"}));
  EXPECT_EQ(d.stats.gaps, 1u);
}

TEST(DetectorHttp, LostResponseHeadersAreFollowedByTheNextResponse) {
  auto s = session(80);
  auto f = s.handshake();
  const std::string lost = "HTTP/1.1 200 OK\r\nServer: lost/1\r\nContent-Length: 4\r\n\r\n";
  const std::string next =
      "HTTP/1.1 200 OK\r\nServer: nginx/1.23.3\r\nContent-Length: 4\r\n\r\nbody";
  f.push_back(s.client_send(request("one/1") + request("two/2")));
  // The first response's headers are missing; its body and the next response arrive.
  const auto body_at = static_cast<std::uint32_t>(lost.size());
  f.push_back(s.server_at(body_at, "<p>\n" + next));
  f.push_back(s.client_ack_to(body_at + 4 + static_cast<std::uint32_t>(next.size())));
  const auto d = detect(f);
  EXPECT_EQ(d.lines(),
            (Lines{"10.0.0.1 80 one/1", "10.0.0.1 80 two/2", "10.0.0.2 80 nginx/1.23.3"}));
}

TEST(DetectorHttp, FoldedHeaderIsUnfolded) {
  auto s = session(80);
  auto f = s.handshake();
  f.push_back(
      s.client_send("GET / HTTP/1.1\r\nUser-Agent: Mozilla/5.0 (X11) Gecko/20100101\r\n"
                    "\tFirefox/115.0\r\nAccept: */*\r\n\r\n"));
  const auto d = detect(f);
  ASSERT_EQ(d.sightings.size(), 1u);
  EXPECT_EQ(d.sightings[0].banner, "Mozilla/5.0 (X11) Gecko/20100101\tFirefox/115.0");
  EXPECT_EQ(d.sightings[0].software.name, "Firefox");
}

// ---- SMTP, FTP, POP3, IMAP ---------------------------------------------------------------------

TEST(DetectorSmtp, GreetingHeloAndMailerOfTheFirstMessage) {
  auto s = session(25, "10.10.1.4", "74.53.140.153");
  auto f = s.handshake();
  f.push_back(s.server_send("220-mx.example.org ESMTP Exim 4.96 #2 Mon, 05 Oct 2009\r\n"));
  f.push_back(s.server_send("220-We do not authorize unsolicited mail\r\n220 and bulk mail.\r\n"));
  f.push_back(s.client_send("EHLO GP\r\n"));
  f.push_back(s.server_send("250-mx.example.org Hello GP\r\n250 HELP\r\n"));
  f.push_back(s.client_send("MAIL FROM:<a@example.org>\r\nRCPT TO:<b@example.org>\r\nDATA\r\n"));
  f.push_back(s.server_send("250 OK\r\n250 OK\r\n354 go ahead\r\n"));
  f.push_back(
      s.client_send("From: a@example.org\r\nX-Mailer: Microsoft Office Outlook 12.0\r\n"
                    "User-Agent: Mozilla/5.0 (X11; Linux x86_64; rv:115.0)\r\n"
                    " Gecko/20100101 Thunderbird/115.6.0\r\n\r\n"));  // folded
  f.push_back(s.client_send("X-Mailer: in the body, not a header\r\n.\r\n"));
  f.push_back(
      s.client_send("MAIL FROM:<a@example.org>\r\nDATA\r\nX-Mailer: second/1\r\n\r\n.\r\n"));
  close(s, f);
  const auto d = detect(f);
  EXPECT_EQ(d.lines(),
            (Lines{"74.53.140.153 25 220-mx.example.org ESMTP Exim 4.96 #2 Mon, 05 Oct 2009",
                   "10.10.1.4 25 EHLO GP", "10.10.1.4 25 Microsoft Office Outlook 12.0",
                   "10.10.1.4 25 Mozilla/5.0 (X11; Linux x86_64; rv:115.0) Gecko/20100101 "
                   "Thunderbird/115.6.0"}));
  EXPECT_EQ(d.sightings[0].protocol, Protocol::Smtp);
  EXPECT_EQ(d.sightings[0].field, Field::Greeting);
  EXPECT_EQ(d.sightings[0].software.name, "Exim");
  EXPECT_EQ(d.sightings[1].field, Field::Helo);
  EXPECT_TRUE(d.sightings[1].software.name.empty());
  EXPECT_EQ(d.sightings[2].field, Field::Mailer);
  EXPECT_EQ(d.sightings[3].field, Field::UserAgent);
  EXPECT_EQ(d.sightings[3].protocol, Protocol::Smtp);
  EXPECT_EQ(d.sightings[3].software.name, "Thunderbird");
}

TEST(DetectorSmtp, ProductOnALaterGreetingLine) {
  auto s = session(587);
  auto f = s.handshake();
  f.push_back(s.server_send("220-mail.example.org\r\n220 ESMTP Postfix ready\r\n"));
  const auto d = detect(f);
  ASSERT_EQ(d.sightings.size(), 1u);
  EXPECT_EQ(d.sightings[0].banner, "220-mail.example.org");
  EXPECT_EQ(d.sightings[0].software.name, "Postfix");
  EXPECT_EQ(d.sightings[0].protocol, Protocol::Smtp);
}

TEST(DetectorSmtp, StartTlsEndsTheClientSide) {
  auto s = session(25);
  auto f = s.handshake();
  f.push_back(s.server_send("220 mx.google.com ESMTP hf10si4097299icc.190 - gsmtp\r\n"));
  f.push_back(s.client_send("EHLO openssl.client.net\r\n"));
  f.push_back(s.server_send("250-mx.google.com at your service\r\n250 STARTTLS\r\n"));
  f.push_back(s.client_send("STARTTLS\r\n"));
  f.push_back(s.server_send("220 2.0.0 Ready to start TLS\r\n"));
  f.push_back(s.client_send("\x16\x03\x01\x02\x00" + binary(500)));
  f.push_back(s.client_send("EHLO not-seen\r\n"));
  const auto d = detect(f);
  EXPECT_EQ(d.lines(), (Lines{"10.0.0.2 25 220 mx.google.com ESMTP hf10si4097299icc.190 - gsmtp",
                              "10.0.0.1 25 EHLO openssl.client.net"}));
}

TEST(DetectorFtp, GreetingAndClnt) {
  auto s = session(21);
  auto f = s.handshake();
  f.push_back(s.server_send("220 (vsFTPd 3.0.3)\r\n"));
  f.push_back(s.client_send("USER anonymous\r\n"));
  f.push_back(s.server_send("331 Please specify the password.\r\n"));
  f.push_back(s.client_send("PASS x\r\nCLNT FileZilla 3.66.4\r\n"));
  const auto d = detect(f);
  EXPECT_EQ(d.lines(),
            (Lines{"10.0.0.2 21 220 (vsFTPd 3.0.3)", "10.0.0.1 21 CLNT FileZilla 3.66.4"}));
  EXPECT_EQ(d.sightings[0].protocol, Protocol::Ftp);
  EXPECT_EQ(d.sightings[0].software.name, "vsFTPd");
  EXPECT_EQ(d.sightings[1].protocol, Protocol::Ftp);
  EXPECT_EQ(d.sightings[1].field, Field::Clnt);
  EXPECT_EQ(to_string(d.sightings[1].software.version), "3.66.4");
}

// "220 Welcome" could be FTP or SMTP: the client's first command decides.
class AmbiguousGreeting : public ::testing::TestWithParam<std::pair<const char*, Protocol>> {};

TEST_P(AmbiguousGreeting, ClientCommandDecides) {
  auto s = session(2121);
  auto f = s.handshake();
  f.push_back(s.server_send("220 Welcome\r\n"));
  if (*GetParam().first != '\0') f.push_back(s.client_send(GetParam().first));
  close(s, f);
  const auto d = detect(f);
  ASSERT_FALSE(d.sightings.empty());
  EXPECT_EQ(d.sightings[0].banner, "220 Welcome");
  EXPECT_EQ(d.sightings[0].protocol, GetParam().second);
}

INSTANTIATE_TEST_SUITE_P(Commands, AmbiguousGreeting,
                         ::testing::Values(std::pair{"USER bob\r\n", Protocol::Ftp},
                                           std::pair{"AUTH TLS\r\n", Protocol::Ftp},
                                           std::pair{"EHLO box\r\n", Protocol::Smtp},
                                           std::pair{"MAIL FROM:<a@b>\r\n", Protocol::Smtp},
                                           std::pair{"NOOP\r\n", Protocol::SmtpOrFtp},
                                           std::pair{"", Protocol::SmtpOrFtp}));

TEST(DetectorMail, Pop3AndImapGreetings) {
  auto pop = session(110);
  auto f = pop.handshake();
  f.push_back(pop.server_send("+OK Dovecot (Ubuntu) ready.\r\n"));
  f.push_back(pop.client_send("USER bob\r\n"));
  auto imap = session(143, "10.0.0.3", "10.0.0.4");
  auto g = imap.handshake();
  g.push_back(imap.server_send("* OK [CAPABILITY IMAP4rev1 STARTTLS] Cyrus IMAP v3.6.1 ready\r\n"));
  f.insert(f.end(), g.begin(), g.end());
  const auto d = detect(f);
  EXPECT_EQ(d.lines(),
            (Lines{"10.0.0.2 110 +OK Dovecot (Ubuntu) ready.",
                   "10.0.0.4 143 * OK [CAPABILITY IMAP4rev1 STARTTLS] Cyrus IMAP v3.6.1 ready"}));
  EXPECT_EQ(d.sightings[0].protocol, Protocol::Pop3);
  EXPECT_EQ(d.sightings[1].protocol, Protocol::Imap);
  EXPECT_EQ(d.sightings[1].software.name, "Cyrus");
  EXPECT_EQ(to_string(d.sightings[1].software.version), "3.6.1");
}

// ---- Hostile and odd input ------------------------------------------------------------------

TEST(DetectorHostile, OverLongBannersAreBounded) {
  auto s = session(22);
  auto f = s.handshake();
  const std::string huge(100000, 'A');
  send(s, f, "SSH-2.0-" + huge + "\r\n", false);
  send(s, f, "GET / HTTP/1.1\r\nUser-Agent: " + huge + "\r\n\r\n", true);
  const auto d = detect(f);
  ASSERT_EQ(d.sightings.size(), 2u);
  for (const auto& sighting : d.sightings) {
    EXPECT_TRUE(sighting.truncated);
    EXPECT_EQ(sighting.banner.size(), kMaxBannerBytes);
    EXPECT_LE(sighting.software.name.size(), kMaxNameBytes);
    EXPECT_TRUE(format_text(sighting).ends_with("AAA..."));
  }
}

TEST(DetectorHostile, ControlCharactersArePrintedEscaped) {
  auto s = session(22);
  auto f = s.handshake();
  using namespace std::string_literals;
  f.push_back(s.server_send("SSH-2.0-Evil\x1b[2J\x07\\\xff\x00tail\r\n"s));
  const auto d = detect(f);
  ASSERT_EQ(d.sightings.size(), 1u);
  EXPECT_EQ(format_text(d.sightings[0]), "10.0.0.2 22 SSH-2.0-Evil\\x1b[2J\\x07\\\\\\xff\\x00tail");
  const auto json = to_json(d.sightings[0]).dump();
  EXPECT_EQ(json.find('\x1b'), std::string::npos);
  EXPECT_NE(json.find("Evil\\\\x1b[2J"), std::string::npos);
}

TEST(DetectorHostile, BinaryAndUnknownProtocolsAreDroppedAtOnce) {
  auto s = session(443);
  auto f = s.handshake();
  send(s, f, "\x16\x03\x01\x02\x00" + binary(20000), true);
  send(s, f, "\x16\x03\x03" + binary(20000, 2), false);
  auto t = session(6379, "10.0.0.5", "10.0.0.6");
  auto g = t.handshake();
  g.push_back(t.client_send("PING\r\n"));
  g.push_back(t.server_send("+PONG\r\n"));
  f.insert(f.end(), g.begin(), g.end());
  const auto d = detect(f);
  EXPECT_TRUE(d.sightings.empty());
  EXPECT_LT(d.stats.stream_bytes_delivered, 2 * 1400u + 20u);  // one segment each
}

TEST(DetectorHostile, RandomStreamsNeverCrashAndStayBounded) {
  std::mt19937 rng(42);
  std::vector<Frame> f;
  const std::vector<std::string> starts{"SSH-2.0-",
                                        "GET / HTTP/1.1\r\n",
                                        "HTTP/1.1 200 OK\r\n",
                                        "220 ",
                                        "220-",
                                        "+OK ",
                                        "* OK ",
                                        "EHLO x\r\nDATA\r\n",
                                        ""};
  for (std::uint16_t i = 0; i < 60; ++i) {
    auto s = session(static_cast<std::uint16_t>(1000 + i), "10.1.0.1", "10.1.0.2");
    auto g = s.handshake();
    for (int k = 0; k < 6; ++k) {
      std::string data = k == 0 ? starts[rng() % starts.size()] : "";
      const auto n = rng() % 600;
      for (std::size_t j = 0; j < n; ++j) {
        // Mostly text with line breaks and colons, sometimes anything.
        const auto r = rng() % 100;
        data += r < 5    ? '\n'
                : r < 8  ? ':'
                : r < 12 ? static_cast<char>(rng() & 0xff)
                         : static_cast<char>('a' + rng() % 26);
      }
      g.push_back(k % 2 == 0 ? s.client_send(data) : s.server_send(data));
    }
    f.insert(f.end(), g.begin(), g.end());
  }
  const auto d = detect(f);
  for (const auto& sighting : d.sightings) {
    EXPECT_LE(sighting.banner.size(), kMaxBannerBytes);
    const auto line = format_text(sighting);
    EXPECT_TRUE(
        std::all_of(line.begin(), line.end(), [](char c) { return c >= 0x20 && c < 0x7f; }));
  }
}

// ---- Reassembly options -----------------------------------------------------------------------

TEST(DetectorMidstream, NeedsTheOptionToPickUpConnectionsWithoutHandshake) {
  auto s = session(22);
  s.handshake();  // not captured
  std::vector<Frame> f{s.server_send("SSH-2.0-OpenSSH_9.2\r\n"), s.client_send("SSH-2.0-x_1\r\n")};
  EXPECT_TRUE(detect(f).sightings.empty());
  Config config;
  config.tcp.midstream = true;
  EXPECT_EQ(detect(f, config).lines(),
            (Lines{"10.0.0.2 22 SSH-2.0-OpenSSH_9.2", "10.0.0.1 22 SSH-2.0-x_1"}));
}

}  // namespace
}  // namespace flowkit::versiondetect
