/*
 * simtest.h - cmocka helpers for the simulator suites: every failure names
 * the seed and the virtual time, so a run can be replayed exactly.
 */
#ifndef SW_TESTS_SIMTEST_H
#define SW_TESTS_SIMTEST_H

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <inttypes.h>
#include <cmocka.h>

#include "sim.h"

/* Assert cond, else fail naming seed and time. */
#define SIM_ASSERT(sim, cond) do { \
	if (!(cond)) \
		fail_msg("seed %" PRIu64 " t=%" PRIu64 " us: %s", \
		    (sim)->seed, (sim)->now, #cond); \
} while (0)

/* Compare two integers, else fail naming both values, seed and time. */
#define SIM_ASSERT_EQ(sim, a, b) do { \
	uint64_t sim_a_ = (uint64_t)(a), sim_b_ = (uint64_t)(b); \
	if (sim_a_ != sim_b_) \
		fail_msg("seed %" PRIu64 " t=%" PRIu64 " us: %s == %s " \
		    "(%" PRIu64 " != %" PRIu64 ")", (sim)->seed, (sim)->now, \
		    #a, #b, sim_a_, sim_b_); \
} while (0)

/* Run to an absolute virtual time; an invariant violation fails. */
#define SIM_RUN(sim, t) do { \
	if (sim_run_until((sim), (t)) != 0) \
		fail_msg("%s", sim_error(sim)); \
} while (0)

#endif /* SW_TESTS_SIMTEST_H */
