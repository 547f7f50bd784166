/* timerq.c - the fixed-capacity FIFO of per-peer deadlines (timerq.h). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "timerq.h"

int
sw_timerq_init(struct sw_timerq *q, uint32_t cap)
{
	memset(q, 0, sizeof *q);
	if (cap == 0)
		return -EINVAL;
	if ((q->e = calloc(cap, sizeof *q->e)) == NULL)
		return -ENOMEM;
	q->cap = cap;
	return 0;
}

void
sw_timerq_free(struct sw_timerq *q)
{
	free(q->e);
	memset(q, 0, sizeof *q);
}

void
sw_timerq_clear(struct sw_timerq *q)
{
	q->head = 0;
	q->n = 0;
}

void
sw_timerq_push(struct sw_timerq *q, const uint8_t addr[static 16],
    sw_time due)
{
	struct sw_timerq_ent *t;

	if (q->n == q->cap)		/* the caller's bug; keep the bound */
		return;
	t = &q->e[(q->head + q->n) % q->cap];
	memcpy(t->addr, addr, 16);
	t->due = due;
	q->n++;
}

bool
sw_timerq_pop(struct sw_timerq *q, struct sw_timerq_ent *out)
{
	if (q->n == 0)
		return false;
	*out = q->e[q->head];
	q->head = (q->head + 1) % q->cap;
	q->n--;
	return true;
}
