/*
 * bench_libnids: the bench_flowkit job done by libnids (Debian's libnids-dev): reassemble a
 * capture, read every delivered byte of both directions (summed, like bench_flowkit), print
 * the throughput.
 *
 *   bench_libnids [--mode reassemble|pcap] [--streams N] [--plain-sum] FILE
 *
 * libnids reads the file through libpcap; we open it and hand each frame to
 * nids_pcap_handler ourselves so that packets and bytes are counted the same way for every
 * frame, IPv6 included (libnids ignores IPv6 at its link layer). --mode pcap only reads the
 * file with libpcap and touches every byte: the floor for libpcap-based tools.
 *
 * Settings: TCP checksums not verified (flowkit's default too), no port-scan detection,
 * warnings counted instead of going to syslog, a stream table big enough for the capture's
 * concurrency (--streams: libnids follows at most 3/4 of it at once).
 * The checksum differs from flowkit's where libnids stops at a hole (it never skips one) and
 * because it does not see IPv6.
 *
 * Last line, for bench/run.sh:
 *   RESULT tool=libnids packets=N bytes=N seconds=S delivered=N checksum=N ...
 */
#ifndef _DEFAULT_SOURCE
#define _DEFAULT_SOURCE 1 /* u_int, u_char in nids.h */
#endif
#include <nids.h>
#include <pcap.h>

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

struct totals {
  unsigned long long packets;
  unsigned long long bytes; /* captured bytes of every frame */
  unsigned long long checksum;
  unsigned long long delivered;
  unsigned long long established;
  unsigned long long closed;
  unsigned long long reset;
  unsigned long long timed_out;
  unsigned long long open_at_end;
  unsigned long long warnings;
  unsigned long long too_many_streams;
  unsigned long long big_queue; /* out-of-order queue over its limit: dropped */
};

static struct totals totals;

/* bench_flowkit's plain_byte_sum (--plain-sum), the earlier callback. */
__attribute__((noinline)) static unsigned long long plain_byte_sum(const unsigned char* p,
                                                                   size_t n) {
  unsigned long long sum = 0;
  for (size_t i = 0; i < n; ++i) sum += p[i];
  return sum;
}

static int plain_sum = 0;

/* The same code as bench_flowkit's byte_sum (16 bytes per SSE2 PSADBW, then the tail), out of
 * line there and here so that both are compiled the same way whatever calls them. */
__attribute__((noinline)) static unsigned long long byte_sum(const unsigned char* p, size_t n) {
  if (plain_sum) return plain_byte_sum(p, n);
  size_t i = 0;
  unsigned long long sum = 0;
#if defined(__SSE2__)
  const __m128i zero = _mm_setzero_si128();
  __m128i acc = zero;
  for (; i + 16 <= n; i += 16) {
    const __m128i block = _mm_loadu_si128((const __m128i*)(p + i));
    acc = _mm_add_epi64(acc, _mm_sad_epu8(block, zero));
  }
  sum = (unsigned long long)_mm_cvtsi128_si64(acc) +
        (unsigned long long)_mm_cvtsi128_si64(_mm_unpackhi_epi64(acc, acc));
#endif
  for (; i < n; ++i) sum += p[i];
  return sum;
}

/* The count_new newest bytes of a half stream (nothing is kept with nids_discard). */
static void read_new_bytes(const struct half_stream* h) {
  size_t held = (size_t)(h->count - h->offset);
  size_t fresh = (size_t)h->count_new;
  if (fresh == 0 || fresh > held) return;
  totals.checksum += byte_sum((const unsigned char*)h->data + (held - fresh), fresh);
  totals.delivered += fresh;
}

static void on_tcp(struct tcp_stream* s, void** unused) {
  (void)unused;
  switch (s->nids_state) {
    case NIDS_JUST_EST:
      s->client.collect++;
      s->server.collect++;
      ++totals.established;
      break;
    case NIDS_DATA:
      read_new_bytes(&s->server); /* what the client sent */
      read_new_bytes(&s->client); /* what the server sent */
      break;
    case NIDS_CLOSE:
      ++totals.closed;
      break;
    case NIDS_RESET:
      ++totals.reset;
      break;
    case NIDS_TIMED_OUT:
      ++totals.timed_out;
      break;
    case NIDS_EXITING:
      ++totals.open_at_end;
      break;
    default:
      break;
  }
}

/* Default is syslog(3), which would dominate the run on a damaged capture. */
static void on_warning(int type, int err, struct ip* iph, void* data) {
  (void)iph;
  (void)data;
  ++totals.warnings;
  if (type == NIDS_WARN_TCP && err == NIDS_WARN_TCP_TOOMUCH) ++totals.too_many_streams;
  if (type == NIDS_WARN_TCP && err == NIDS_WARN_TCP_BIGQUEUE) ++totals.big_queue;
}

static double now_seconds(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int usage(void) {
  fputs("usage: bench_libnids [--mode reassemble|pcap] [--streams N] [--plain-sum] FILE\n", stderr);
  return 2;
}

int main(int argc, char** argv) {
  /* netaddr 0 / mask 0 matches every address. */
  static struct nids_chksum_ctl no_checksums = {0, 0, NIDS_DONT_CHKSUM, 0};
  const char* path = NULL;
  const char* mode = "reassemble";
  long streams = 1L << 16;
  char errbuf[PCAP_ERRBUF_SIZE];
  struct pcap_pkthdr* header;
  const u_char* data;
  pcap_t* pcap;
  double started, seconds;
  int reassembling, rc;
  const char* tool;

  for (int i = 1; i < argc; ++i) {
    if (strcmp(argv[i], "--mode") == 0 && i + 1 < argc) {
      mode = argv[++i];
    } else if (strcmp(argv[i], "--plain-sum") == 0) {
      plain_sum = 1;
    } else if (strcmp(argv[i], "--streams") == 0 && i + 1 < argc) {
      streams = strtol(argv[++i], NULL, 10);
    } else if (path == NULL && argv[i][0] != '-') {
      path = argv[i];
    } else {
      return usage();
    }
  }
  reassembling = strcmp(mode, "reassemble") == 0;
  if (path == NULL || (!reassembling && strcmp(mode, "pcap") != 0) || streams < 1024 ||
      streams > (1L << 24)) {
    return usage();
  }

  started = now_seconds();
  pcap = pcap_open_offline(path, errbuf);
  if (pcap == NULL) {
    fprintf(stderr, "bench_libnids: %s\n", errbuf);
    return 2;
  }
  if (reassembling) {
    nids_params.pcap_desc = pcap;
    nids_params.filename = NULL;
    nids_params.device = NULL;
    nids_params.scan_num_hosts = 0; /* no port-scan detection */
    nids_params.n_tcp_streams = (int)streams;
    nids_params.n_hosts = 4096; /* IP defragmentation hosts */
    nids_params.syslog = on_warning;
    nids_params.pcap_filter = NULL;
    if (!nids_init()) {
      fprintf(stderr, "bench_libnids: nids_init: %s\n", nids_errbuf);
      return 2;
    }
    nids_register_chksum_ctl(&no_checksums, 1);
    nids_register_tcp(on_tcp);
  }
  while ((rc = pcap_next_ex(pcap, &header, &data)) == 1) {
    ++totals.packets;
    totals.bytes += header->caplen;
    if (reassembling) {
      nids_pcap_handler(NULL, header, (u_char*)data);
    } else {
      totals.checksum += byte_sum(data, header->caplen);
    }
  }
  if (rc == -1) {
    fprintf(stderr, "bench_libnids: %s: %s\n", path, pcap_geterr(pcap));
    return 2;
  }
  if (reassembling) nids_exit(); /* reports still-open streams as NIDS_EXITING */
  pcap_close(pcap);
  seconds = now_seconds() - started;

  tool = reassembling ? "libnids" : "libpcap-read";
  printf("%s %s: %llu packets, %llu bytes in %.3f s: %.3f Mpackets/s, %.2f Gbit/s\n", tool, path,
         totals.packets, totals.bytes, seconds, (double)totals.packets / seconds / 1e6,
         (double)totals.bytes * 8 / seconds / 1e9);
  if (reassembling) {
    printf(
        "  %llu connections (%llu closed, %llu reset, %llu timed out, %llu open at the end), "
        "%llu stream bytes delivered; %llu warnings (%llu too many streams, %llu out-of-order "
        "queue overflows)\n",
        totals.established, totals.closed, totals.reset, totals.timed_out, totals.open_at_end,
        totals.delivered, totals.warnings, totals.too_many_streams, totals.big_queue);
  }
  printf(
      "RESULT tool=%s packets=%llu bytes=%llu seconds=%.3f delivered=%llu checksum=%llu "
      "connections=%llu gaps=0 max_connections=0 max_buffered=0\n",
      tool, totals.packets, totals.bytes, seconds, totals.delivered, totals.checksum,
      totals.established);
  return 0;
}
