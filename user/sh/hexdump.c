/*
 * hexdump -C [-n N] FILE...: util-linux's canonical hex+ASCII display,
 * byte for byte: per 16 bytes the offset (8 hex digits), two spaces, the
 * bytes as "xx " with one more space after the eighth, then "|ascii|"
 * ('.' for bytes outside 0x20..0x7e); a full line equal to the one before
 * is not printed, a line "*" stands for the run of them; a short last line
 * keeps the byte columns' width; the offset after the last byte ends the
 * dump (nothing at all for empty input). Files are read sequentially from
 * offset 0 through the shell's file layer, one after the other as one
 * stream, until a read returns nothing or N bytes were dumped: without -n
 * a device that never ends (/dev/zero) is dumped forever, as util-linux
 * does.
 */
#include "sh.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct dump {
    uint64_t pos;            /* bytes taken so far: the next byte's offset */
    uint8_t line[16], prev[16];
    unsigned fill;           /* bytes in line */
    int have_prev, starred;  /* prev holds the last full line; "*" printed for its repeats */
};

static void put_line(uint64_t off, const uint8_t *b, unsigned n)
{
    static const char hex[] = "0123456789abcdef";
    char s[96], *p = s;
    p += sprintf(p, "%08lx  ", (unsigned long)off);
    for (unsigned i = 0; i < 16; i++) {
        if (i < n) {
            *p++ = hex[b[i] >> 4];
            *p++ = hex[b[i] & 15];
            *p++ = ' ';
        } else {
            memcpy(p, "   ", 3);
            p += 3;
        }
        if (i == 7)
            *p++ = ' ';
    }
    *p++ = ' ';
    *p++ = '|';
    for (unsigned i = 0; i < n; i++)
        *p++ = b[i] >= 0x20 && b[i] < 0x7f ? (char)b[i] : '.';
    *p++ = '|';
    *p++ = '\n';
    fwrite(s, 1, (size_t)(p - s), stdout);
}

static void take(struct dump *d, const uint8_t *b, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        d->line[d->fill++] = b[i];
        d->pos++;
        if (d->fill < 16)
            continue;
        d->fill = 0;
        if (d->have_prev && !memcmp(d->line, d->prev, 16)) {
            if (!d->starred)
                fputs("*\n", stdout);
            d->starred = 1;
            continue;
        }
        put_line(d->pos - 16, d->line, 16);
        memcpy(d->prev, d->line, 16);
        d->have_prev = 1;
        d->starred = 0;
    }
}

/* N: decimal, with an optional K, M or G (powers of 1024) */
static int parse_count(const char *s, uint64_t *out)
{
    char *end;
    if (*s < '0' || *s > '9')
        return -1;
    uint64_t v = strtoull(s, &end, 10);
    unsigned shift = *end == 'K' || *end == 'k' ? 10 : *end == 'M' ? 20 : *end == 'G' ? 30 : 0;
    if (shift)
        end++;
    if (*end || v > (UINT64_MAX >> shift))
        return -1;
    *out = v << shift;
    return 0;
}

int cmd_hexdump(int argc, char **argv)
{
    static uint8_t chunk[4096];
    uint64_t limit = UINT64_MAX;
    int canonical = 0, i;
    for (i = 1; i < argc && argv[i][0] == '-' && argv[i][1]; i++) {
        if (!strcmp(argv[i], "--")) {
            i++;
            break;
        }
        if (!strcmp(argv[i], "-C")) {
            canonical = 1;
        } else if (!strncmp(argv[i], "-n", 2)) {
            const char *v = argv[i][2] ? argv[i] + 2 : i + 1 < argc ? argv[++i] : NULL;
            if (!v || parse_count(v, &limit)) {
                printf("sh: hexdump: invalid length: '%s'\n", v ? v : "");
                return 1;
            }
        } else {
            printf("sh: hexdump: unknown option '%s'\n", argv[i]);
            canonical = 0;
            break;
        }
    }
    if (!canonical || i >= argc) {
        printf("usage: hexdump -C [-n N] FILE...\n");
        return 1;
    }
    struct dump d = {0};
    int rc = 0;
    for (; i < argc && d.pos < limit; i++) {
        struct file f;
        int st = f_open(&f, argv[i]);
        if (st) {
            printf("sh: hexdump: %s: %s\n", argv[i], strerror(-st));
            rc = 1;
            continue;
        }
        for (uint64_t off = 0; d.pos < limit;) {
            uint64_t want = limit - d.pos < sizeof chunk ? limit - d.pos : sizeof chunk;
            long n = f_pread(&f, chunk, want, off);
            if (n < 0) {
                printf("sh: hexdump: %s: %s\n", argv[i], strerror((int)-n));
                rc = 1;
                break;
            }
            if (n == 0)
                break;
            take(&d, chunk, (size_t)n);
            off += (uint64_t)n;
        }
        f_close(&f);
    }
    if (d.fill)
        put_line(d.pos - d.fill, d.line, d.fill);
    if (d.pos)
        printf("%08lx\n", (unsigned long)d.pos);
    return rc;
}
