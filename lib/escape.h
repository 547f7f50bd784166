/*
 * escape.h - untrusted bytes made safe for one log line: cgroup names a
 * user chose, what the engine writes with -d (issue 10 items 15, 18d).
 */
#ifndef SW_ESCAPE_H
#define SW_ESCAPE_H

#include "sw.h"

/*
 * len bytes of src into dst (n bytes, NUL-terminated when n > 0):
 * printable ASCII as it is, '\\' as "\\\\", everything else as "\xNN";
 * with keep_nl, '\n' and '\t' pass as they are.  An escape never is cut
 * in half.  The length written, without the NUL.
 */
size_t sw_escape(char *dst, size_t n, const void *src, size_t len,
    bool keep_nl);

#endif /* SW_ESCAPE_H */
