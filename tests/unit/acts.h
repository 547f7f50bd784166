/*
 * acts.h - helpers over an action list and its drop counters, shared by
 * the unit tests of the client, the relay and the server.
 *
 * Each test is its own program: static inline, so a program that leaves
 * one unused does not trip -Wunused-function.  Include after <cmocka.h>.
 */
#ifndef SW_TEST_ACTS_H
#define SW_TEST_ACTS_H

#include <stdint.h>
#include <stdlib.h>

#include "action.h"
#include "drop.h"
#include "sw.h"

/* Actions of kind k. */
static inline unsigned
acts_count(const struct sw_actions *acts, enum sw_action_kind k)
{
	unsigned n = 0;

	for (unsigned i = 0; i < acts->n; i++)
		n += acts->a[i].kind == k;
	return n;
}

/* The i-th action of kind k (0-based); fails the test if there is none. */
static inline const struct sw_action *
acts_nth(const struct sw_actions *acts, enum sw_action_kind k, unsigned i)
{
	for (unsigned j = 0, left = i; j < acts->n; j++)
		if (acts->a[j].kind == k && left-- == 0)
			return &acts->a[j];
	fail_msg("no action %u of kind %d", i, (int)k);
	abort();	/* not reached: fail_msg() does not return */
}

/* SEND_UDPs to dst. */
static inline unsigned
acts_count_to(const struct sw_actions *acts, const struct sw_v4ep *dst)
{
	unsigned n = 0;

	for (unsigned i = 0; i < acts->n; i++)
		n += acts->a[i].kind == SW_ACT_SEND_UDP &&
		    sw_v4ep_eq(&acts->a[i].dst, dst);
	return n;
}

/* The first SEND_UDP to dst, or NULL. */
static inline const struct sw_action *
acts_sent_to(const struct sw_actions *acts, const struct sw_v4ep *dst)
{
	for (unsigned i = 0; i < acts->n; i++)
		if (acts->a[i].kind == SW_ACT_SEND_UDP &&
		    sw_v4ep_eq(&acts->a[i].dst, dst))
			return &acts->a[i];
	return NULL;
}

/* All drops counted, whatever the reason. */
static inline uint64_t
drops_total(const struct sw_drop_counters *d)
{
	uint64_t n = 0;

	for (unsigned i = 0; i < SW_DROP__COUNT; i++)
		n += d->n[i];
	return n;
}

/* The outcome of one input: no action, exactly one drop, counted under
 * why (what names the case in the failure message). */
static inline void
acts_want_drop(const struct sw_actions *acts, const struct sw_drop_counters *d,
    enum sw_drop why, const char *what)
{
	if (acts->n != 0 || drops_total(d) != 1 || d->n[why] != 1) {
		int got = -1;

		for (int i = 0; i < SW_DROP__COUNT; i++)
			if (d->n[i] != 0)
				got = i;
		fail_msg("%s: want drop %s, got %u actions, drop %s", what,
		    sw_drop_name(why), acts->n,
		    got < 0 ? "none" : sw_drop_name((enum sw_drop)got));
	}
}

/* Empty the list for the next call, drops counted into d. */
static inline void
acts_reset(struct sw_actions *acts, struct sw_drop_counters *d)
{
	sw_actions_reset(acts);
	acts->drops = d;
}

#endif
