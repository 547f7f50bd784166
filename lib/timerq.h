/*
 * timerq.h - a fixed-capacity FIFO of per-peer deadlines, for the retry
 * schedules of the client's data path (CLI-TX-2/5) and the relay
 * (REL-TX-4).
 *
 * Each caller pushes every entry a constant delay after `now`, and its
 * clock never goes back, so FIFO order is deadline order: the head is the
 * next deadline (O(1)), and due entries come off the head.  An entry whose
 * peer was resolved, removed or re-armed since is stale: the caller checks
 * that when it pops (the queue knows nothing of peers).  What to do when
 * the queue is full is the caller's policy too.  Memory is allocated in
 * sw_timerq_init() only.
 */
#ifndef SW_TIMERQ_H
#define SW_TIMERQ_H

#include "sw.h"

struct sw_timerq_ent {
	uint8_t addr[16];	/* the peer */
	sw_time due;
};

struct sw_timerq {
	struct sw_timerq_ent *e;
	uint32_t cap, head, n;
};

/* cap >= 1 entries: 0, -EINVAL or -ENOMEM. */
int sw_timerq_init(struct sw_timerq *q, uint32_t cap);
void sw_timerq_free(struct sw_timerq *q);
/* Forget every entry. */
void sw_timerq_clear(struct sw_timerq *q);

/* Append (the caller made sure the queue is not full). */
void sw_timerq_push(struct sw_timerq *q, const uint8_t addr[static 16],
    sw_time due);
/* Take the head; false when empty. */
bool sw_timerq_pop(struct sw_timerq *q, struct sw_timerq_ent *out);

static inline uint32_t
sw_timerq_len(const struct sw_timerq *q)
{
	return q->n;
}

static inline bool
sw_timerq_full(const struct sw_timerq *q)
{
	return q->n == q->cap;
}

/* The head without taking it; false when empty. */
static inline bool
sw_timerq_peek(const struct sw_timerq *q, struct sw_timerq_ent *out)
{
	if (q->n == 0)
		return false;
	*out = q->e[q->head];
	return true;
}

/* The earliest deadline, SW_TIME_NEVER when empty. */
static inline sw_time
sw_timerq_next(const struct sw_timerq *q)
{
	return q->n == 0 ? SW_TIME_NEVER : q->e[q->head].due;
}

static inline size_t
sw_timerq_memsize(const struct sw_timerq *q)
{
	return (size_t)q->cap * sizeof *q->e;
}

#endif /* SW_TIMERQ_H */
