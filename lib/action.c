/* action.c - the fixed-size action list (see action.h). */
#include <string.h>

#include "action.h"
#include "wire.h"

void
sw_actions_reset(struct sw_actions *acts)
{
	acts->n = 0;
	acts->used = 0;
}

uint8_t *
sw_actions_alloc(struct sw_actions *acts, size_t len)
{
	uint8_t *p;

	if (len > sizeof acts->arena - acts->used) {
		sw_actions_drop(acts, SW_DROP_ACTIONS_FULL);
		return NULL;
	}
	p = acts->arena + acts->used;
	acts->used += len;
	return p;
}

void
sw_actions_trim(struct sw_actions *acts, uint8_t *p, size_t reserved,
    size_t len)
{
	/* Only the last reservation can shrink. */
	if (len <= reserved && p + reserved == acts->arena + acts->used)
		acts->used -= reserved - len;
}

struct sw_action *
sw_actions_push(struct sw_actions *acts, enum sw_action_kind kind)
{
	struct sw_action *a;

	if (acts->n >= SW_ACTIONS_MAX) {
		sw_actions_drop(acts, SW_DROP_ACTIONS_FULL);
		return NULL;
	}
	a = &acts->a[acts->n++];
	*a = (struct sw_action){ .kind = kind };
	return a;
}

bool
sw_actions_addr(struct sw_actions *acts, enum sw_action_kind kind,
    const uint8_t *addr)
{
	struct sw_action *a = sw_actions_push(acts, kind);

	if (a == NULL)
		return false;
	if (addr != NULL)
		memcpy(a->addr, addr, sizeof a->addr);
	return true;
}

void
sw_actions_drop(struct sw_actions *acts, enum sw_drop why)
{
	if (acts->drops != NULL)
		sw_drop_count(acts->drops, why);
}

bool
sw_actions_drop_if(struct sw_actions *acts, enum sw_drop why)
{
	if (why == SW_DROP_NONE)
		return false;
	sw_actions_drop(acts, why);
	return true;
}

bool
sw_actions_icmp6_error(struct sw_actions *acts, uint8_t type, uint8_t code,
    const uint8_t src[static 16], const uint8_t *inv, size_t len)
{
	size_t cap = SW_IP6_HLEN + 8 + len;
	struct sw_action *a;
	uint8_t *b;
	int n;

	if (cap > SW_ICMP6_ERROR_MAX)
		cap = SW_ICMP6_ERROR_MAX;
	if ((b = sw_actions_alloc(acts, cap)) == NULL)
		return false;
	n = sw_wire_build_icmp6_error(b, cap, type, code, 0, src, inv, len);
	if (n <= 0 || (a = sw_actions_push(acts, SW_ACT_DELIVER)) == NULL) {
		sw_actions_trim(acts, b, cap, 0);
		return false;
	}
	a->seg[0] = (struct sw_seg){ b, (size_t)n };
	return true;
}

size_t
sw_action_len(const struct sw_action *a)
{
	return a->seg[0].len + a->seg[1].len;
}
