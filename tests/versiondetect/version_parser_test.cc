// Version parsing, Zeek style: generic "Name/1.2.3 (addl)" strings, browser user agents and
// server greetings.
#include <gtest/gtest.h>

#include <string>

#include "flowkit/versiondetect/browser.h"
#include "flowkit/versiondetect/greeting.h"
#include "flowkit/versiondetect/version_parser.h"

namespace flowkit::versiondetect {
namespace {

// "Name version" in Zeek's notation, e.g. "Apache 2.4.57-Debian"; "Name" alone without one.
std::string describe(const Software& sw) {
  const auto version = to_string(sw.version);
  return version.empty() ? sw.name : sw.name + " " + version;
}

struct Case {
  const char* input;
  const char* expected;
};

void PrintTo(const Case& c, std::ostream* os) {
  *os << '"' << c.input << '"';
}

class GenericParse : public ::testing::TestWithParam<Case> {};

TEST_P(GenericParse, SplitsNameAndVersion) {
  EXPECT_EQ(describe(parse_software(GetParam().input)), GetParam().expected) << GetParam().input;
}

INSTANTIATE_TEST_SUITE_P(
    Software, GenericParse,
    ::testing::Values(
        // Servers and SSH software parts (the "SSH-2.0-" prefix is removed before parsing).
        Case{"OpenSSH_9.2p1 Debian-2+deb12u1", "OpenSSH 9.2-p1"},
        Case{"OpenSSH_4.4", "OpenSSH 4.4"}, Case{"dropbear_2022.83", "dropbear 2022.83"},
        Case{"Cisco-1.25", "Cisco 1.25"}, Case{"libssh_0.9.6", "libssh 0.9.6"},
        Case{"Apache/2.4.57 (Debian)", "Apache 2.4.57-Debian"},
        Case{"Apache/2.0.63 (Unix) mod_ssl/2.0.63 OpenSSL/0.9.7a", "Apache 2.0.63-Unix"},
        Case{"Apache", "Apache"}, Case{"nginx/1.25.3", "nginx 1.25.3"},
        Case{"Microsoft-IIS/10.0", "Microsoft-IIS 10.0"}, Case{"PHP/8.2.7", "PHP 8.2.7"},
        Case{"ASP.NET", "ASP.NET"}, Case{"ProFTPD 1.2.5rc1 Server (Debian)", "ProFTPD 1.2.5-rc1"},
        Case{"wu-2.6.2(1)", "wu 2.6.2-1"},
        // Clients.
        Case{"curl/8.5.0", "curl 8.5.0"},
        Case{"curl/7.15.1 (i486-pc-linux-gnu) libcurl/7.15.1 OpenSSL/0.9.8a",
             "curl 7.15.1-i486-pc-linux-gnu"},
        Case{"Wget/1.21.3", "Wget 1.21.3"},
        Case{"Wget/1.11.4 (Red Hat modified)", "Wget 1.11.4-Red Hat modified"},
        Case{"Wget/1.9+cvs-stable (Red Hat modified)", "Wget 1.9-+cvs"},
        Case{"python-requests/2.31.0", "python-requests 2.31.0"},
        Case{"Python-urllib/3.1", "Python-urllib 3.1"},
        Case{"libwww-perl/5.820", "libwww-perl 5.820"},
        Case{"Go-http-client/1.1", "Go-http-client 1.1"}, Case{"Java/1.6.0_13", "Java 1.6.0.13"},
        Case{"Java1.3.1_04", "Java 1.3.1.4"}, Case{"Java/8", "Java 8"},
        Case{"Flash/10,2,153,1", "Flash 10.2.153.1"},
        Case{"mt2/1.2.3.967 Oct 13 2010", "mt2 1.2.3.967-Oct"},
        Case{"CacheFlyServe v26b", "CacheFlyServe 26-b"},
        Case{"The Bat! (v2.00.9) Personal", "The Bat! 2.0.9-Personal"},
        Case{"The Bat! (3.0.1 RC3) Professional", "The Bat! 3.0.1-RC3"},
        Case{"Apple Mail (2.1084)", "Apple Mail 2.1084"}, Case{"(vsFTPd 2.0.5)", "vsFTPd 2.0.5"},
        Case{"Microsoft Office Outlook 12.0", "Microsoft Office Outlook 12.0"},
        Case{"Thunderbird 115.6.0", "Thunderbird 115.6.0"},
        Case{"Total Commander", "Total Commander"},
        Case{"FileZilla Server version 0.9.41 beta", "FileZilla Server 0.9.41-beta"},
        Case{"Debian APT-HTTP/1.3 (2.6.1)", "Debian APT-HTTP 1.3-2.6.1"},
        // Versionless, odd and hostile strings.
        Case{"IMAP4rev1", "IMAP4rev1"}, Case{"", ""}, Case{"   ", ""}, Case{"1.2.3", " 1.2.3"},
        Case{"x/99999999999999999999999.5", "x"}, Case{"a - b 7", "a - b 7"},
        Case{"ECS (iad/182A)", "ECS 182-A"}));

TEST(VersionParser, KeepsNamesAndAddlBounded) {
  const std::string long_name(10000, 'A');
  const auto sw = parse_software(long_name + "/1.0 " + std::string(10000, 'z'));
  EXPECT_EQ(sw.name.size(), kMaxNameBytes);
  EXPECT_EQ(sw.version.major, 1u);
  EXPECT_EQ(sw.version.addl.size(), kMaxAddlBytes);
}

TEST(VersionParser, VersionFieldsAreSeparate) {
  const auto sw = parse_software("Apache/2.4.57 (Debian)");
  EXPECT_EQ(sw.name, "Apache");
  EXPECT_EQ(sw.version.major, 2u);
  EXPECT_EQ(sw.version.minor, 4u);
  EXPECT_EQ(sw.version.minor2, 57u);
  EXPECT_FALSE(sw.version.minor3);
  EXPECT_EQ(sw.version.addl, "Debian");
}

TEST(VersionParser, ParseVersionStartsAtTheNumber) {
  EXPECT_EQ(to_string(parse_version("4.96 Mon, 01 Jan")), "4.96-Mon");
  EXPECT_EQ(to_string(parse_version("v3.6.1 server")), "3.6.1-server");
  EXPECT_TRUE(parse_version("ready").empty());
  EXPECT_EQ(to_string(parse_version_numbers("121.0.6167.85 Safari/537.36")), "121.0.6167.85");
}

class BrowserParse : public ::testing::TestWithParam<Case> {};

TEST_P(BrowserParse, NamesTheBrowser) {
  EXPECT_EQ(describe(parse_software(GetParam().input)), GetParam().expected) << GetParam().input;
}

INSTANTIATE_TEST_SUITE_P(
    UserAgents, BrowserParse,
    ::testing::Values(
        Case{"Mozilla/5.0 (X11; Linux x86_64; rv:121.0) Gecko/20100101 Firefox/121.0",
             "Firefox 121.0"},
        Case{"Mozilla/5.0 (X11; U; Linux x86_64; en-US; rv:1.9.2.15) Gecko/20110303 "
             "Ubuntu/10.04 (lucid) Firefox/3.6.15",
             "Firefox 3.6.15"},
        Case{"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
             "Chrome/120.0.6099.130 Safari/537.36",
             "Chrome 120.0.6099.130"},
        Case{"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
             "Chrome/120.0.0.0 Safari/537.36 Edg/120.0.2210.91",
             "Edge 120.0.2210.91"},
        Case{"Mozilla/5.0 (Windows Phone 10.0; Android 6.0.1) AppleWebKit/537.36 (KHTML, like "
             "Gecko) Chrome/52.0.2743.116 Mobile Safari/537.36 Edge/15.15063",
             "Edge 15.15063"},
        Case{"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
             "Chrome/120.0.0.0 Safari/537.36 OPR/106.0.0.0",
             "Opera 106.0.0.0"},
        Case{"Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, "
             "like Gecko) Version/17.1 Safari/605.1.15",
             "Safari 17.1"},
        Case{"Mozilla/5.0 (iPhone; CPU iPhone OS 17_1 like Mac OS X) AppleWebKit/605.1.15 "
             "(KHTML, like Gecko) Version/17.1 Mobile/15E148 Safari/604.1",
             "Safari 17.1-Mobile"},
        Case{"Mozilla/5.0 (iPhone; CPU iPhone OS 17_1 like Mac OS X) AppleWebKit/605.1.15 "
             "(KHTML, like Gecko) CriOS/120.0.6099.119 Mobile/15E148 Safari/604.1",
             "Chrome 120.0.6099.119"},
        Case{"Mozilla/4.0 (compatible; MSIE 7.0; Windows NT 6.0)", "MSIE 7.0"},
        Case{"Mozilla/4.0 (compatible; MSIE 7.0b; Windows NT 5.1)", "MSIE 7.0-b"},
        Case{"Mozilla/4.0 (compatible; MSIE 7.0; Windows NT 6.1; WOW64; Trident/5.0)", "MSIE 9.0"},
        Case{"Mozilla/5.0 (Windows NT 6.3; Trident/7.0; rv:11.0) like Gecko", "MSIE 11.0"},
        Case{"Mozilla/4.0 (compatible; MSIE 8.0; Android 2.2.2; Linux; Opera Mobi/ADR-1103311355; "
             "en) Opera 11.00",
             "Opera 11.0"},
        Case{"Opera/9.80 (Windows NT 6.1; U; sv) Presto/2.7.62 Version/11.01", "Opera 11.1"},
        Case{"Opera/9.80 (J2ME/MIDP; Opera Mini/5.0.18741/18.794; U; en) Presto/2.4.15",
             "Opera Mini 5.0.18741"},
        Case{"Mozilla/5.0 (Windows; U; Windows NT 5.1; de; rv:1.9.2.11) Gecko/20101013 "
             "Lightning/1.0b2 Thunderbird/3.1.5",
             "Thunderbird 3.1.5"},
        Case{"Mozilla/5.0 (X11; Linux x86_64; rv:115.0) Gecko/20100101 Thunderbird/115.6.0",
             "Thunderbird 115.6.0"},
        Case{"Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
             "Googlebot 2.1"},
        Case{"Mozilla/5.0 (Macintosh; U; PPC Mac OS X; en) AppleWebKit/420+ (KHTML, like Gecko)",
             "WebKit 420"},
        Case{"Mozilla/5.0", "Mozilla 5.0"}, Case{"Mozilla/", "Mozilla"}));

TEST(Browser, OnlyMozillaAndOperaAgentsAreBrowsers) {
  EXPECT_FALSE(parse_browser("curl/8.5.0"));
  EXPECT_FALSE(parse_browser("Mozilla/x"));
  EXPECT_TRUE(parse_browser("Opera/9.80 (X11; Linux)"));
}

class GreetingParse : public ::testing::TestWithParam<Case> {};

TEST_P(GreetingParse, FindsTheProduct) {
  EXPECT_EQ(describe(parse_greeting(GetParam().input).software), GetParam().expected)
      << GetParam().input;
}

INSTANTIATE_TEST_SUITE_P(
    Greetings, GreetingParse,
    ::testing::Values(
        Case{"220 mail.example.org ESMTP Postfix (Debian/GNU)", "Postfix"},
        Case{"220-xc90.websitewelcome.com ESMTP Exim 4.69 #1 Mon, 05 Oct 2009 01:05:54 -0500",
             "Exim 4.69-#1"},
        Case{"220 host.example.com ESMTP Sendmail 8.14.4/8.14.4; Mon, 1 Jan 2024",
             "Sendmail 8.14.4"},
        Case{"220 (vsFTPd 3.0.3)", "vsFTPd 3.0.3"},
        Case{"220 ProFTPD 1.3.5e Server (Debian) [::ffff:10.0.0.1]", "ProFTPD 1.3.5-e"},
        Case{"220 ftp.NetBSD.org FTP server (NetBSD-ftpd 20100320) ready.", "NetBSD-ftpd 20100320"},
        Case{"220-FileZilla Server version 0.9.41 beta", "FileZilla Server 0.9.41-beta"},
        Case{"220---------- Welcome to Pure-FTPd [privsep] [TLS] ----------", "Pure-FTPd"},
        Case{"220 redmint FTP server (Version 6.4/OpenBSD/Linux-ftpd-0.17) ready.",
             "Linux-ftpd 0.17"},
        Case{"+OK Dovecot (Ubuntu) ready.", "Dovecot"},
        Case{"* OK [CAPABILITY IMAP4rev1 SASL-IR LOGIN-REFERRALS] Dovecot ready.", "Dovecot"},
        Case{"* OK mail.example.org Cyrus IMAP v3.6.1 server ready", "Cyrus 3.6.1"},
        Case{"220 mx.google.com ESMTP hf10si4097299icc.190 - gsmtp", ""},
        Case{"220 host-1.example.org ESMTP", ""}, Case{"220", ""}));

TEST(Greeting, HintsTheProtocol) {
  EXPECT_EQ(parse_greeting("220 mail.example.org ESMTP ready").protocol_hint, Protocol::Smtp);
  EXPECT_EQ(parse_greeting("220 (vsFTPd 3.0.3)").protocol_hint, Protocol::Ftp);
  EXPECT_EQ(parse_greeting("220 box ready, Postfix here").protocol_hint, Protocol::Smtp);
  EXPECT_FALSE(parse_greeting("220 Welcome").protocol_hint);
}

}  // namespace
}  // namespace flowkit::versiondetect
