/*
 * escape.c - untrusted bytes for a log line (see escape.h).
 */
#include "escape.h"

size_t
sw_escape(char *dst, size_t n, const void *src, size_t len, bool keep_nl)
{
	static const char hex[] = "0123456789abcdef";
	const uint8_t *s = src;
	size_t k = 0;

	if (n == 0)
		return 0;
	for (size_t i = 0; i < len; i++) {
		uint8_t c = s[i];
		char e[4];
		size_t m;

		if ((c >= 0x20 && c < 0x7f && c != '\\') ||
		    (keep_nl && (c == '\n' || c == '\t'))) {
			e[0] = (char)c;
			m = 1;
		} else if (c == '\\') {
			e[0] = e[1] = '\\';
			m = 2;
		} else {
			e[0] = '\\';
			e[1] = 'x';
			e[2] = hex[c >> 4];
			e[3] = hex[c & 0xf];
			m = 4;
		}
		if (k + m >= n)
			break;
		for (size_t j = 0; j < m; j++)
			dst[k++] = e[j];
	}
	dst[k] = '\0';
	return k;
}
