/* The shell's line editor (line.c): the console's bytes in, one edited line
 * out, with history and Tab completion. */
#ifndef SH_LINE_H
#define SH_LINE_H
#include <stddef.h>

/* print prompt, read one line into line (at most n - 1 bytes, NUL-
 * terminated; the line end is not kept) and add it to the history: its
 * length, or -1 at the end of input. Ctrl-C gives an empty line. */
int line_read(const char *prompt, char *line, size_t n);
#endif
