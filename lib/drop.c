/* drop.c - names of the discard reasons (see drop.h). */
#include "drop.h"

static const char *const drop_names[SW_DROP__COUNT] = {
#define SW_DROP_NAME(name, str) [SW_DROP_##name] = str,
	SW_DROP_REASONS(SW_DROP_NAME)
#undef SW_DROP_NAME
};

const char *
sw_drop_name(enum sw_drop why)
{
	if ((unsigned)why >= SW_DROP__COUNT)
		return "?";
	return drop_names[why];
}
