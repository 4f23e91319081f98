/*
 * flowkit_nids_oracle [-v] <file.pcap>   (-v: per-flow summary and libnids
 *                                          warnings on stderr)
 * flowkit_nids_oracle --version
 *
 * Oracle: TCP payload as libnids reassembles it, printed in the
 * "flowkit-flows v1" format (see flow_bytes.h) with a = client (SYN sender),
 * b = server. Flows are printed at the end, ordered by their first SYN.
 *
 * How libnids (1.26) treats the hard cases, which explains the differences
 * to tshark (see oracle_disagreements.md written by flowkit_oracle_tests):
 *  - Only connections whose three-way handshake it sees are followed: a
 *    stream is created by a SYN without ACK only, the SYN/ACK must
 *    acknowledge the SYN exactly, and the connection is reported
 *    (NIDS_JUST_EST) on the client's ACK of the SYN/ACK. Mid-stream pickups,
 *    a SYN/ACK captured before its SYN, and data on a SYN (TCP Fast Open) are
 *    ignored; a RST during the handshake kills the connection.
 *  - IPv4 only. Link types: Ethernet with at most one VLAN tag, raw IPv4,
 *    Linux SLL, loopback, PPP and a few more; QinQ, SLL2, NFLOG, PPPoE,
 *    tunnels are not decoded ("link type unknown" for unknown DLTs). VLAN is
 *    not part of the connection key.
 *  - Retransmissions/overlaps: first delivered bytes win; a segment that
 *    overlaps delivered data only contributes its new tail. Out-of-order
 *    segments are queued (in sequence order) until the hole is filled.
 *  - Gaps: libnids never skips a hole; the stream stops at the first one.
 *    If the out-of-order queue exceeds ~64 KiB it is discarded entirely.
 *  - Segments starting at or beyond the receiver's last ack + advertised
 *    window (with window scaling) are dropped, as are segments whose TCP
 *    timestamp is older than the last in-order one (PAWS).
 *  - A RST inside the window ends the connection (NIDS_RESET); later data
 *    is lost.
 *  - Urgent data: with collect_urg off (as here) the byte at the urgent
 *    pointer is removed from the stream.
 *  - Frames shorter than their IP total length (snap length) are dropped.
 *  - Checksums: TCP checksums are disabled here via nids_register_chksum_ctl
 *    (offload produces bad ones); IPv4 header checksums and zero (TSO) total
 *    lengths are repaired before libnids checks them, see repair_ip_header.
 *
 * Exit status: 0 ok, 1 usage, 2 libnids cannot read the file (unknown link
 * type, missing file, ...), 3 out of memory.
 */
#ifndef _DEFAULT_SOURCE
#define _DEFAULT_SOURCE 1 /* u_int, u_char in nids.h */
#endif
#include <nids.h>

#include <arpa/inet.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct buffer {
  unsigned char* data;
  size_t len;
  size_t cap;
};

struct connection {
  unsigned long long first_syn;   /* ordinal of the packet that created it */
  unsigned long long established; /* tie-breaker: order of NIDS_JUST_EST */
  struct tuple4 addr;
  struct buffer from_client;
  struct buffer from_server;
  int end_state; /* NIDS_CLOSE, NIDS_RESET, ... or 0 while open */
};

/* First SYN ordinal per 4-tuple, consumed when the connection is
 * established: libnids itself gives no creation order. Open addressing. */
struct syn_entry {
  struct tuple4 addr;
  unsigned long long ordinal;
  int used;    /* slot holds a tuple */
  int pending; /* SYN seen, connection not yet established */
};

static struct connection** connections;
static size_t connection_count;
static size_t connection_cap;
static struct syn_entry* syn_table;
static size_t syn_cap;
static size_t syn_used;
static unsigned long long packet_ordinal;
static unsigned long long established_count;
static int verbose;

static void out_of_memory(void) {
  fputs("flowkit_nids_oracle: out of memory\n", stderr);
  exit(3);
}

static void* xrealloc(void* ptr, size_t size) {
  void* p = realloc(ptr, size);
  if (p == NULL) out_of_memory();
  return p;
}

static void buffer_append(struct buffer* b, const char* data, size_t len) {
  if (b->len + len > b->cap) {
    size_t cap = b->cap ? b->cap : 4096;
    while (cap < b->len + len) cap *= 2;
    b->data = xrealloc(b->data, cap);
    b->cap = cap;
  }
  memcpy(b->data + b->len, data, len);
  b->len += len;
}

static int same_tuple(const struct tuple4* x, const struct tuple4* y) {
  return x->saddr == y->saddr && x->daddr == y->daddr && x->source == y->source &&
         x->dest == y->dest;
}

static size_t tuple_hash(const struct tuple4* t) {
  uint64_t h = ((uint64_t)t->saddr << 32) ^ t->daddr;
  h ^= ((uint64_t)t->source << 16 | t->dest) * 0x9e3779b97f4a7c15ULL;
  h ^= h >> 29;
  return (size_t)(h * 0xbf58476d1ce4e5b9ULL);
}

static struct syn_entry* syn_slot(const struct tuple4* t) {
  size_t i = tuple_hash(t) & (syn_cap - 1);
  while (syn_table[i].used && !same_tuple(&syn_table[i].addr, t)) i = (i + 1) & (syn_cap - 1);
  return &syn_table[i];
}

static void syn_grow(void) {
  struct syn_entry* old = syn_table;
  size_t old_cap = syn_cap;
  syn_cap = syn_cap ? syn_cap * 2 : 1024;
  syn_table = calloc(syn_cap, sizeof *syn_table);
  if (syn_table == NULL) out_of_memory();
  for (size_t i = 0; i < old_cap; ++i) {
    if (old[i].used) *syn_slot(&old[i].addr) = old[i];
  }
  free(old);
}

static void note_syn(const struct tuple4* t) {
  struct syn_entry* e;
  if (2 * (syn_used + 1) > syn_cap) syn_grow();
  e = syn_slot(t);
  if (!e->used) {
    e->used = 1;
    e->addr = *t;
    ++syn_used;
  }
  /* Retransmitted SYNs do not create a new libnids stream: keep the first. */
  if (!e->pending) {
    e->pending = 1;
    e->ordinal = packet_ordinal;
  }
}

/* Runs for every valid (defragmented) IPv4 packet before libnids' TCP
 * processing. The second argument is libnids' buffer size, not a length. */
static void on_ip(struct ip* ip, int skb_size) {
  const struct tcphdr* th;
  size_t header_len;
  struct tuple4 t;

  (void)skb_size;
  ++packet_ordinal;
  if (ip->ip_p != IPPROTO_TCP) return;
  header_len = (size_t)ip->ip_hl * 4;
  if (ntohs(ip->ip_len) < header_len + sizeof(struct tcphdr)) return;
  th = (const struct tcphdr*)((const unsigned char*)ip + header_len);
  if ((th->th_flags & (TH_SYN | TH_ACK | TH_RST)) != TH_SYN) return;
  t.saddr = ip->ip_src.s_addr;
  t.daddr = ip->ip_dst.s_addr;
  t.source = ntohs(th->th_sport);
  t.dest = ntohs(th->th_dport);
  note_syn(&t);
}

static struct connection* new_connection(const struct tcp_stream* s) {
  struct connection* c = calloc(1, sizeof *c);
  struct syn_entry* e;
  if (c == NULL) out_of_memory();
  c->addr = s->addr;
  c->established = ++established_count;
  c->first_syn = packet_ordinal; /* fallback if the SYN was never seen */
  if (syn_cap != 0) {
    e = syn_slot(&s->addr);
    if (e->used && e->pending) {
      c->first_syn = e->ordinal;
      e->pending = 0;
    }
  }
  if (connection_count == connection_cap) {
    connection_cap = connection_cap ? connection_cap * 2 : 256;
    connections = xrealloc(connections, connection_cap * sizeof *connections);
  }
  connections[connection_count++] = c;
  return c;
}

/* The count_new newest bytes of a half stream. Without nids_discard() libnids
 * drops delivered data after each callback, but do not rely on it. */
static void take_new_bytes(struct buffer* b, const struct half_stream* h) {
  size_t held = (size_t)(h->count - h->offset);
  size_t fresh = (size_t)h->count_new;
  if (fresh == 0 || fresh > held) return;
  buffer_append(b, h->data + (held - fresh), fresh);
}

static void on_tcp(struct tcp_stream* s, void** unused) {
  struct connection* c = s->user;
  (void)unused;
  switch (s->nids_state) {
    case NIDS_JUST_EST:
      s->client.collect++;
      s->server.collect++;
      s->user = new_connection(s);
      break;
    case NIDS_DATA:
      if (c == NULL) break;
      /* server.count_new: bytes the server received, i.e. sent by the client. */
      take_new_bytes(&c->from_client, &s->server);
      take_new_bytes(&c->from_server, &s->client);
      break;
    case NIDS_CLOSE:
    case NIDS_RESET:
    case NIDS_TIMED_OUT:
    case NIDS_EXITING: /* end of input: connections still open */
      if (c != NULL) c->end_state = s->nids_state;
      s->user = NULL;
      break;
    default:
      break;
  }
}

/* Packets libnids would reject although the host accepted them. libnids
 * verifies IPv4 header checksums unconditionally (nids_chksum_ctl only covers
 * TCP/UDP), and rejects a total length of 0, which is what hosts capture for
 * their own TSO/GSO super-segments, whose header checksum is left to the NIC
 * as well. Its ip_filter hook runs just before those checks, so repair the
 * header there like tshark reads it (tshark ignores checksums and takes a
 * zero length as "TSO, use the captured length"). */
static unsigned long long repaired_lengths;
static unsigned long long repaired_checksums;

static int repair_ip_header(struct ip* ip, int len) {
  size_t header_len = (size_t)ip->ip_hl * 4;
  const unsigned char* p = (const unsigned char*)ip;
  uint32_t sum = 0;
  uint16_t checksum;
  if (len < 20 || len > 65535 || ip->ip_v != 4 || header_len < 20 || header_len > (size_t)len)
    return 1;
  if (ip->ip_len == 0) {
    ip->ip_len = htons((uint16_t)len);
    ++repaired_lengths;
  }
  for (size_t i = 0; i < header_len; i += 2) {
    if (i != 10) sum += (uint32_t)(p[i] << 8 | p[i + 1]); /* skip the checksum field */
  }
  while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
  checksum = htons((uint16_t)~sum);
  if (ip->ip_sum != checksum) {
    ip->ip_sum = checksum;
    ++repaired_checksums;
  }
  return 1; /* accept every packet */
}

/* libnids reports oddities through this hook; default is syslog(3). */
static void on_warning(int type, int err, struct ip* iph, void* data) {
  (void)iph;
  (void)data;
  if (!verbose) return;
  if (type == NIDS_WARN_SCAN) {
    fputs("libnids: scan warning\n", stderr);
  } else if (err >= 0 && err <= NIDS_WARN_TCP_BADFLAGS) {
    fprintf(stderr, "libnids: %s\n", nids_warnings[err]);
  }
}

static int by_creation(const void* x, const void* y) {
  const struct connection* a = *(const struct connection* const*)x;
  const struct connection* b = *(const struct connection* const*)y;
  if (a->first_syn != b->first_syn) return a->first_syn < b->first_syn ? -1 : 1;
  if (a->established != b->established) return a->established < b->established ? -1 : 1;
  return 0;
}

static void print_hex_line(char tag, const struct buffer* b) {
  static const char digits[] = "0123456789abcdef";
  char chunk[8192];
  size_t used = 0;
  putchar(tag);
  putchar(' ');
  for (size_t i = 0; i < b->len; ++i) {
    chunk[used++] = digits[b->data[i] >> 4];
    chunk[used++] = digits[b->data[i] & 0x0f];
    if (used == sizeof chunk) {
      fwrite(chunk, 1, used, stdout);
      used = 0;
    }
  }
  fwrite(chunk, 1, used, stdout);
  putchar('\n');
}

static const char* state_name(int state) {
  switch (state) {
    case NIDS_CLOSE:
      return "close";
    case NIDS_RESET:
      return "reset";
    case NIDS_TIMED_OUT:
      return "timed-out";
    case NIDS_EXITING:
      return "open-at-end";
    default:
      return "unknown";
  }
}

static void print_flows(void) {
  char client[INET_ADDRSTRLEN];
  char server[INET_ADDRSTRLEN];
  qsort(connections, connection_count, sizeof *connections, by_creation);
  puts("flowkit-flows v1");
  for (size_t i = 0; i < connection_count; ++i) {
    const struct connection* c = connections[i];
    inet_ntop(AF_INET, &c->addr.saddr, client, sizeof client);
    inet_ntop(AF_INET, &c->addr.daddr, server, sizeof server);
    printf("flow %s %u %s %u %zu %zu\n", client, (unsigned)c->addr.source, server,
           (unsigned)c->addr.dest, c->from_client.len, c->from_server.len);
    print_hex_line('a', &c->from_client);
    print_hex_line('b', &c->from_server);
    if (verbose) {
      fprintf(stderr, "flow %s:%u -> %s:%u: %zu/%zu bytes, %s\n", client, (unsigned)c->addr.source,
              server, (unsigned)c->addr.dest, c->from_client.len, c->from_server.len,
              state_name(c->end_state));
    }
  }
}

static void free_all(void) {
  for (size_t i = 0; i < connection_count; ++i) {
    free(connections[i]->from_client.data);
    free(connections[i]->from_server.data);
    free(connections[i]);
  }
  free(connections);
  free(syn_table);
}

int main(int argc, char** argv) {
  /* netaddr 0 / mask 0 matches every address. */
  static struct nids_chksum_ctl no_checksums = {0, 0, NIDS_DONT_CHKSUM, 0};
  const char* path = NULL;

  for (int i = 1; i < argc; ++i) {
    if (strcmp(argv[i], "-v") == 0) {
      verbose = 1;
    } else if (strcmp(argv[i], "--version") == 0) {
      printf("flowkit_nids_oracle (libnids %d.%d)\n", NIDS_MAJOR, NIDS_MINOR);
      return 0;
    } else if (path == NULL) {
      path = argv[i];
    } else {
      path = NULL;
      break;
    }
  }
  if (path == NULL) {
    fputs("usage: flowkit_nids_oracle [-v] <file.pcap>\n", stderr);
    return 1;
  }

  nids_params.filename = (char*)path;
  nids_params.device = NULL;
  nids_params.scan_num_hosts = 0; /* no portscan detection */
  nids_params.tcp_workarounds = 1;
  nids_params.n_tcp_streams = 1 << 16; /* hash size; libnids follows 3/4 of it at once */
  nids_params.n_hosts = 4096;          /* IP defragmentation hosts */
  nids_params.syslog = on_warning;
  nids_params.pcap_filter = NULL;
  nids_params.ip_filter = repair_ip_header;

  if (!nids_init()) {
    fprintf(stderr, "flowkit_nids_oracle: libnids cannot read %s: %s\n", path, nids_errbuf);
    return 2;
  }
  nids_register_chksum_ctl(&no_checksums, 1);
  nids_register_ip(on_ip);
  nids_register_tcp(on_tcp);
  /* For files nids_run() reads to the end and then reports still-open
   * connections with NIDS_EXITING itself. */
  nids_run();

  print_flows();
  free_all();
  if (verbose && (repaired_checksums != 0 || repaired_lengths != 0)) {
    fprintf(stderr, "repaired IPv4 headers: %llu checksums, %llu zero (TSO) lengths\n",
            repaired_checksums, repaired_lengths);
  }
  if (fflush(stdout) != 0 || ferror(stdout)) {
    fputs("flowkit_nids_oracle: write error\n", stderr);
    return 1;
  }
  return 0;
}
