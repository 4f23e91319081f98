// Writes examples/sample.pcap: a small, deterministic capture crafted with flowkit's own packet
// builder, exercising what the tools look for. Regenerate with
//   make_sample_capture examples/sample.pcap
// (a test checks that the committed file is exactly what this program writes).
//
// Contents: two HTTP/1.1 keep-alive browsing connections (Referer, User-Agent, Server), one of
// them over IPv6; an SSH banner exchange on a non-standard port; an SMTP session with EHLO and
// X-Mailer; a connection whose request is split across segments sent out of order and
// retransmitted, with the word "password" crossing a segment boundary; a reset connection; a
// UDP DNS-like datagram and an IP-fragmented UDP datagram.
#include <fmt/format.h>

#include <algorithm>
#include <string>
#include <vector>

#include "flowkit/pcap_writer.h"
#include "packet_builder.h"

namespace {

using flowkit::testing::Frame;
using flowkit::testing::TcpSession;
using namespace std::chrono_literals;
using namespace std::string_view_literals;

void append(std::vector<Frame>& out, std::vector<Frame> more) {
  out.insert(out.end(), std::make_move_iterator(more.begin()), std::make_move_iterator(more.end()));
}

TcpSession::Options options(std::string client, std::uint16_t cport, std::string server,
                            std::uint16_t sport, std::uint32_t isn, std::int64_t start_s) {
  TcpSession::Options o;
  o.client = std::move(client);
  o.client_port = cport;
  o.server = std::move(server);
  o.server_port = sport;
  o.client_isn = isn;
  o.server_isn = isn * 7 + 12345;
  o.start = std::chrono::seconds(1700000000 + start_s);
  return o;
}

std::string http_request(const std::string& host, const std::string& path,
                         const std::string& referer) {
  std::string r = fmt::format("GET {} HTTP/1.1\r\nHost: {}\r\n", path, host);
  r += "User-Agent: Mozilla/5.0 (X11; Linux x86_64; rv:121.0) Gecko/20100101 Firefox/121.0\r\n";
  if (!referer.empty()) r += fmt::format("Referer: {}\r\n", referer);
  return r + "\r\n";
}

std::string http_response(const std::string& body, const std::string& type) {
  return fmt::format(
      "HTTP/1.1 200 OK\r\nServer: Apache/2.4.57 (Debian)\r\nContent-Type: {}\r\n"
      "Content-Length: {}\r\n\r\n{}",
      type, body.size(), body);
}

std::vector<Frame> browsing(TcpSession s, const std::string& host) {
  auto f = s.handshake();
  const std::string base = "http://" + host;
  f.push_back(s.client_send(http_request(host, "/", "")));
  f.push_back(
      s.server_send(http_response("<html><a href=\"/news.html\">news</a></html>", "text/html")));
  f.push_back(s.client_send(http_request(host, "/style.css", base + "/")));
  f.push_back(s.server_send(http_response("body{}", "text/css")));
  f.push_back(s.client_send(http_request(host, "/news.html", base + "/")));
  f.push_back(s.server_send(http_response("<html>news</html>", "text/html")));
  f.push_back(s.client_fin());
  f.push_back(s.server_fin());
  f.push_back(s.client_ack());
  return f;
}

std::vector<Frame> ssh(TcpSession s) {
  auto f = s.handshake();
  f.push_back(s.server_send("SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u1\r\n"));
  f.push_back(s.client_send("SSH-2.0-OpenSSH_8.9p1 Ubuntu-3ubuntu0.4\r\n"));
  f.push_back(s.client_fin());
  f.push_back(s.server_fin());
  return f;
}

std::vector<Frame> smtp(TcpSession s) {
  auto f = s.handshake();
  f.push_back(s.server_send("220 mail.example.org ESMTP Postfix (Debian/GNU)\r\n"));
  f.push_back(s.client_send("EHLO laptop.example.org\r\n"));
  f.push_back(s.server_send("250-mail.example.org\r\n250 8BITMIME\r\n"));
  f.push_back(
      s.client_send("MAIL FROM:<alice@example.org>\r\nRCPT TO:<bob@example.org>\r\nDATA\r\n"));
  f.push_back(s.server_send("250 OK\r\n250 OK\r\n354 End data with <CR><LF>.<CR><LF>\r\n"));
  f.push_back(s.client_send(
      "Subject: hi\r\nX-Mailer: Thunderbird 115.6.0\r\n\r\nhello bob\r\n.\r\nQUIT\r\n"));
  f.push_back(s.server_send("250 queued\r\n221 bye\r\n"));
  f.push_back(s.client_fin());
  f.push_back(s.server_fin());
  return f;
}

// The login crosses segment boundaries, arrives out of order and has a retransmission.
std::vector<Frame> split_login(TcpSession s) {
  auto f = s.handshake();
  const std::string request =
      "POST /login HTTP/1.1\r\nHost: intranet\r\nContent-Length: "
      "29\r\n\r\nuser=admin&password=hunter2";
  const std::size_t a = request.find("pass") + 2;  // "pa" | "ssword"
  const std::size_t b = a + 12;
  const auto first = s.client_at(0, request.substr(0, a));
  const auto second = s.client_at(static_cast<std::uint32_t>(a), request.substr(a, b - a));
  const auto third = s.client_at(static_cast<std::uint32_t>(b), request.substr(b));
  f.push_back(third);
  f.push_back(first);
  f.push_back(first);  // retransmission
  f.push_back(second);
  s.client_send(request);  // only advances the client's sequence number
  f.push_back(s.server_ack());
  f.push_back(s.server_send("HTTP/1.1 302 Found\r\nLocation: /home\r\nContent-Length: 0\r\n\r\n"));
  f.push_back(s.client_fin());
  f.push_back(s.server_fin());
  // Frames carry the time they were built; stamp them in the order they are sent, so the
  // capture really has the reordering (main sorts every frame by time).
  for (std::size_t i = 1; i < f.size(); ++i) f[i].ts = f[0].ts + std::chrono::milliseconds(i);
  return f;
}

std::vector<Frame> reset(TcpSession s) {
  auto f = s.handshake();
  f.push_back(s.client_send("GET /admin HTTP/1.1\r\nHost: intranet\r\n\r\n"));
  f.push_back(s.server_rst());
  return f;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    fmt::print(stderr, "usage: {} OUTPUT.pcap\n", argv[0]);
    return 2;
  }
  std::vector<Frame> frames;
  append(frames, browsing(TcpSession(options("192.168.1.101", 51000, "198.51.100.80", 80, 1000, 0)),
                          "www.example.com"));
  append(frames,
         browsing(TcpSession(options("2001:db8::101", 51002, "2001:db8::80", 8080, 0xFFFFFF00U, 1)),
                  "ipv6.example.net"));
  append(frames, ssh(TcpSession(options("192.168.1.101", 51004, "192.168.1.7", 2222, 77777, 2))));
  append(frames, smtp(TcpSession(options("192.168.1.101", 51006, "203.0.113.25", 25, 424242, 3))));
  append(
      frames,
      split_login(TcpSession(options("192.168.1.102", 51008, "192.168.1.10", 80, 0xFFFFFFF0U, 4))));
  append(frames, reset(TcpSession(options("192.168.1.103", 51010, "192.168.1.10", 80, 5555, 5))));
  auto dns =
      flowkit::testing::PacketBuilder()
          .ipv4("192.168.1.101", "192.168.1.1")
          .udp(53000, 53)
          .payload(
              "\x12\x34\x01\x00\x00\x01\x00\x00\x00\x00\x00\x00\x07example\x03org\x00\x00\x01\x00\x01"sv)
          .time(std::chrono::seconds(1700000006))
          .build();
  frames.push_back(dns);
  auto big = flowkit::testing::PacketBuilder()
                 .ipv4("192.168.1.101", "192.168.1.2")
                 .udp(40000, 9999)
                 .payload(std::string(3000, 'F'))
                 .ip_id(4242)
                 .time(std::chrono::seconds(1700000007))
                 .fragments(1200);
  append(frames, std::move(big));
  std::stable_sort(frames.begin(), frames.end(),
                   [](const Frame& x, const Frame& y) { return x.ts < y.ts; });
  try {
    flowkit::PcapWriter writer(argv[1], 1);
    for (const auto& f : frames) writer.write(f.view());
    writer.close();
  } catch (const std::exception& e) {
    fmt::print(stderr, "make_sample_capture: {}\n", e.what());
    return 2;
  }
  return 0;
}
