/*
 * miredo_pcap.c - run lib/'s parsers over every UDP payload of a capture
 * of a real peer (Miredo), for miredo_pcap.py to compare with tshark.
 *
 * usage: miredo_pcap FILE.pcap
 *
 * Prints one JSON object per line for each IPv4/UDP frame (others are
 * skipped silently; IPv4 fragments get a "skip" line):
 *   frame (1-based), accepted (sw_wire_parse), drop (sw_drop_name);
 *   when accepted: has_auth, idlen, aulen, nonce, conf, has_origin,
 *   orig_addr, orig_port, src, dst (inet_ntop), nxt, plen, hlim,
 *   trailers_len; for ICMPv6 (NH 58 directly): icmp6_type, icmp6_cksum_ok;
 *   echo (sw_wire_parse_echo): echo_ok, echo_id, echo_seq;
 *   RA (sw_wire_parse_ra): ra_ok, ra_drop, ra_prefix, ra_prefix_len,
 *   ra_prefix_count, ra_mtu.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <arpa/inet.h>
#include <pcap/pcap.h>

#include "drop.h"
#include "wire.h"

#define ETH_HLEN 14
#define UDP_HLEN 8

static void
hex(const uint8_t *p, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		printf("%02x", p[i]);
}

static const char *
ntop6(const uint8_t *a, char *buf, socklen_t len)
{
	return inet_ntop(AF_INET6, a, buf, len) ? buf : "?";
}

static void
print_icmp6(const struct sw_ip6_view *ip)
{
	char buf[INET6_ADDRSTRLEN];

	if (ip->nxt != SW_NH_ICMP6 || ip->plen < 4)
		return;
	printf(", \"icmp6_type\": %u, \"icmp6_cksum_ok\": %d",
	    ip->payload[0], sw_icmp6_checksum_ok(ip));

	if (ip->payload[0] == SW_ICMP6_ECHO_REQ ||
	    ip->payload[0] == SW_ICMP6_ECHO_REPLY) {
		struct sw_echo_view e;
		int ok = sw_wire_parse_echo(ip, &e) == 0;

		printf(", \"echo_ok\": %d", ok);
		if (ok)
			printf(", \"echo_type\": %u, \"echo_id\": \"0x%04x\", "
			    "\"echo_seq\": %u, \"echo_len\": %zu", e.type, e.id,
			    e.seq, e.data_len);
	} else if (ip->payload[0] == SW_ICMP6_RA) {
		struct sw_ra ra;
		enum sw_drop why = SW_DROP_NONE;
		int ok;

		memset(&ra, 0, sizeof(ra));
		ok = sw_wire_parse_ra(ip, &ra, &why) == 0;
		printf(", \"ra_ok\": %d, \"ra_drop\": \"%s\"", ok,
		    ok ? "none" : sw_drop_name(why));
		if (ok) {
			printf(", \"ra_prefix_count\": %u", ra.prefix_count);
			if (ra.prefix_count)
				printf(", \"ra_prefix\": \"%s\", "
				    "\"ra_prefix_len\": %u",
				    ntop6(ra.prefix, buf, sizeof(buf)),
				    ra.prefix_len);
			if (ra.has_mtu)
				printf(", \"ra_mtu\": %u", ra.mtu);
		}
	}
}

static void
print_udp(unsigned long num, const uint8_t *pl, size_t len)
{
	struct sw_teredo_view v;
	struct sw_ip6_view ip;
	enum sw_drop why = SW_DROP_NONE;
	char src[INET6_ADDRSTRLEN], dst[INET6_ADDRSTRLEN];
	char orig[INET_ADDRSTRLEN];
	uint8_t o4[4];

	memset(&v, 0, sizeof(v));
	if (sw_wire_parse(pl, len, &v, &why) != 0) {
		printf("{\"frame\": %lu, \"accepted\": 0, \"drop\": \"%s\"}\n",
		    num, sw_drop_name(why));
		return;
	}
	/* sw_wire_parse promised a well-formed IPv6 header: check it did. */
	if (sw_ip6_parse(v.ip6, v.ip6_len, &ip, &why) != 0) {
		printf("{\"frame\": %lu, \"accepted\": 1, \"drop\": \"none\", "
		    "\"ip6_parse\": \"%s\"}\n", num, sw_drop_name(why));
		return;
	}
	printf("{\"frame\": %lu, \"accepted\": 1, \"drop\": \"none\"", num);
	printf(", \"has_auth\": %d", v.has_auth);
	if (v.has_auth) {
		printf(", \"idlen\": %u, \"aulen\": %u, \"id\": \"",
		    v.auth.id_len, v.auth.au_len);
		hex(v.auth.id, v.auth.id_len);
		printf("\", \"au\": \"");
		hex(v.auth.au, v.auth.au_len);
		printf("\", \"nonce\": \"");
		hex(v.auth.nonce, SW_NONCE_LEN);
		printf("\", \"conf\": \"%02x\"", v.auth.conf);
	}
	printf(", \"has_origin\": %d", v.has_origin);
	if (v.has_origin) {
		sw_put32(o4, v.origin.addr);
		printf(", \"orig_addr\": \"%s\", \"orig_port\": %u",
		    inet_ntop(AF_INET, o4, orig, sizeof(orig)) ? orig : "?",
		    v.origin.port);
	}
	printf(", \"src\": \"%s\", \"dst\": \"%s\", \"nxt\": %u, "
	    "\"plen\": %u, \"hlim\": %u, \"trailers_len\": %zu",
	    ntop6(ip.src, src, sizeof(src)), ntop6(ip.dst, dst, sizeof(dst)),
	    ip.nxt, ip.plen, ip.hlim, v.trailers_len);
	print_icmp6(&ip);
	printf("}\n");
}

/* Ethernet II (one 802.1Q tag allowed) / IPv4 / UDP, bounds-checked. */
static void
frame(unsigned long num, const uint8_t *p, size_t caplen)
{
	size_t off = ETH_HLEN, ihl, tot, ulen;
	uint16_t type;
	const uint8_t *ip, *udp;

	if (caplen < ETH_HLEN)
		return;
	type = sw_get16(p + 12);
	if (type == 0x8100 && caplen >= ETH_HLEN + 4) {
		type = sw_get16(p + 16);
		off += 4;
	}
	if (type != 0x0800 || caplen - off < 20)
		return;
	ip = p + off;
	ihl = (size_t)(ip[0] & 0x0f) * 4;
	tot = sw_get16(ip + 2);
	if (ip[0] >> 4 != 4 || ihl < 20 || tot < ihl || tot > caplen - off)
		return;		/* not IPv4, or truncated by the snap length */
	if (ip[9] != 17)
		return;
	if ((sw_get16(ip + 6) & 0x3fff) != 0) {	/* MF or fragment offset */
		printf("{\"frame\": %lu, \"skip\": \"ipv4-fragment\"}\n", num);
		return;
	}
	if (tot - ihl < UDP_HLEN)
		return;
	udp = ip + ihl;
	ulen = sw_get16(udp + 4);
	if (ulen < UDP_HLEN || ulen > tot - ihl)
		return;
	print_udp(num, udp + UDP_HLEN, ulen - UDP_HLEN);
}

int
main(int argc, char **argv)
{
	char err[PCAP_ERRBUF_SIZE];
	struct pcap_pkthdr *h;
	const u_char *data;
	unsigned long num = 0;
	pcap_t *p;
	int r;

	if (argc != 2) {
		fprintf(stderr, "usage: miredo_pcap FILE.pcap\n");
		return 2;
	}
	p = pcap_open_offline(argv[1], err);
	if (!p) {
		fprintf(stderr, "miredo_pcap: %s\n", err);
		return 1;
	}
	if (pcap_datalink(p) != DLT_EN10MB) {
		fprintf(stderr, "miredo_pcap: %s: not Ethernet\n", argv[1]);
		pcap_close(p);
		return 1;
	}
	while ((r = pcap_next_ex(p, &h, &data)) == 1)
		frame(++num, data, h->caplen);
	if (r == PCAP_ERROR)
		fprintf(stderr, "miredo_pcap: %s\n", pcap_geterr(p));
	pcap_close(p);
	return r == PCAP_ERROR_BREAK ? 0 : 1;
}
