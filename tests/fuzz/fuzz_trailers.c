/*
 * fuzz_trailers.c - libFuzzer target for sw_wire_parse_trailers (RFC 6081
 * §4, §5.1.2; COM-TRL-1..7, D22, D24), checked against a naive model of
 * the same rules written from the requirement text.
 */
#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "wire.h"

#define CHECK(c) do { if (!(c)) __builtin_trap(); } while (0)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct model {
	bool must_drop, stopped, nonce, rport, alt, alt_bad, nd;
	unsigned skipped, alt_count;
	uint16_t port;
};

static bool
alt_entry_ok(const uint8_t *e)
{
	unsigned a = e[0];

	if (a == 0 || a == 127 || a >= 224)
		return false;
	return e[4] != 0 || e[5] != 0;
}

/* COM-TRL-1..7, one trailer at a time. */
static void
model_run(const uint8_t *p, size_t len, struct model *m)
{
	size_t i = 0;

	memset(m, 0, sizeof *m);
	while (i < len) {
		unsigned type, tl, k;

		if (i + 2 > len) {
			m->stopped = true;
			return;
		}
		type = p[i];
		tl = p[i + 1];
		if (i + 2 + tl > len) {
			m->stopped = true;
			return;
		}
		if (type == 1 || type == 2 || type == 4 || type == 5) {
			unsigned want = type == 1 || type == 4 ? 4 : 2;

			if (tl != want) {
				m->stopped = true;
				return;
			}
			if (type == 1)
				m->nonce = true;
			else if (type == 4)
				m->nd = true;
			else if (!m->rport) {
				m->rport = true;
				m->port = (uint16_t)(p[i + 2] << 8 | p[i + 3]);
			}
		} else if (type == 3) {
			if (!m->alt) {
				m->alt = true;
				if (tl != 8 && tl != 14 && tl != 20 && tl != 26)
					m->alt_bad = true;
				for (k = 0; !m->alt_bad && k < (tl - 2) / 6;
				    k++)
					if (!alt_entry_ok(p + i + 4 + 6 * k))
						m->alt_bad = true;
				if (!m->alt_bad)
					m->alt_count = (tl - 2) / 6;
			}
		} else if ((type >> 6) == 1) {
			m->must_drop = true;
			return;
		} else {
			m->skipped++;
		}
		i += 2 + tl;
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sw_trailers t;
	struct model m;
	enum sw_drop why = SW_DROP__COUNT;
	unsigned i;
	int r;

	r = sw_wire_parse_trailers(data, size, &t, &why);
	CHECK(sw_wire_parse_trailers(data, size, &t, NULL) == r);
	r = sw_wire_parse_trailers(data, size, &t, &why);
	model_run(data, size, &m);

	if (m.must_drop) {
		CHECK(r == -EBADMSG && why == SW_DROP_TRAILER_MUST_DROP);
		return 0;
	}
	CHECK(r == 0 && why == SW_DROP_NONE);
	CHECK(t.stopped == m.stopped);
	CHECK(t.skipped == m.skipped && t.skipped <= size / 2);
	CHECK(t.has_nonce == m.nonce && t.has_nd == m.nd);
	CHECK(t.has_random_port == m.rport);
	if (m.rport)
		CHECK(t.random_port == m.port);
	CHECK(t.has_alt == m.alt && t.alt_malformed == m.alt_bad);
	CHECK(t.alt_count == m.alt_count && t.alt_count <= SW_TRL_ALT_MAX);
	CHECK(!t.alt_malformed || t.alt_count == 0);
	for (i = 0; i < t.alt_count; i++) {
		uint8_t top = (uint8_t)(t.alt[i].addr >> 24);

		CHECK(t.alt[i].port != 0);
		CHECK(top != 0 && top != 127 && top < 224);
	}
	return 0;
}
