/* Kernel formatted output to the console (PL011) and into buffers. */
#include <kernel/kernel.h>
#include <kernel/plat.h>

struct out { char *buf; size_t n, pos; bool console; };

static void out_c(struct out *o, char c)
{
    if (o->console) {
        if (c == '\n')
            plat_console_putc('\r');
        plat_console_putc(c);
    } else if (o->pos + 1 < o->n) {
        o->buf[o->pos] = c;
    }
    o->pos++;
}

static void out_num(struct out *o, uint64_t v, unsigned base, bool neg, int width, char pad)
{
    char tmp[24];
    int i = 0;
    do {
        tmp[i++] = "0123456789abcdef"[v % base];
        v /= base;
    } while (v);
    if (neg)
        tmp[i++] = '-';
    while (width-- > i)
        out_c(o, pad);
    while (i)
        out_c(o, tmp[--i]);
}

static void fmt(struct out *o, const char *f, va_list ap)
{
    for (; *f; f++) {
        if (*f != '%') {
            out_c(o, *f);
            continue;
        }
        f++;
        char pad = ' ';
        int width = 0, lng = 0;
        if (*f == '0') { pad = '0'; f++; }
        while (*f >= '0' && *f <= '9')
            width = width * 10 + (*f++ - '0');
        while (*f == 'l' || *f == 'z') { lng++; f++; }
        switch (*f) {
        case 'd': {
            int64_t v = lng ? va_arg(ap, int64_t) : va_arg(ap, int);
            out_num(o, v < 0 ? (uint64_t)-v : (uint64_t)v, 10, v < 0, width, pad);
            break;
        }
        case 'u': out_num(o, lng ? va_arg(ap, uint64_t) : va_arg(ap, unsigned), 10, false, width, pad); break;
        case 'x': out_num(o, lng ? va_arg(ap, uint64_t) : va_arg(ap, unsigned), 16, false, width, pad); break;
        case 'p': out_c(o, '0'); out_c(o, 'x'); out_num(o, (uint64_t)va_arg(ap, void *), 16, false, 16, '0'); break;
        case 'c': out_c(o, (char)va_arg(ap, int)); break;
        case 's': {
            const char *s = va_arg(ap, const char *);
            if (!s)
                s = "(null)";
            int len = (int)strlen(s);
            while (width-- > len)
                out_c(o, ' ');
            while (*s)
                out_c(o, *s++);
            break;
        }
        case '%': out_c(o, '%'); break;
        case 0: return;
        default: out_c(o, '%'); out_c(o, *f); break;
        }
    }
}

void kvprintf(const char *f, va_list ap)
{
    struct out o = { .console = true };
    fmt(&o, f, ap);
}

void kprintf(const char *f, ...)
{
    va_list ap;
    va_start(ap, f);
    kvprintf(f, ap);
    va_end(ap);
}

void kputs(const char *s) { kprintf("%s", s); }

int ksnprintf(char *buf, size_t n, const char *f, ...)
{
    struct out o = { .buf = buf, .n = n };
    va_list ap;
    va_start(ap, f);
    fmt(&o, f, ap);
    va_end(ap);
    if (n)
        buf[o.pos < n ? o.pos : n - 1] = 0;
    return (int)o.pos;
}

void panic(const char *f, ...)
{
    va_list ap;
    kprintf("\nKERNEL PANIC: ");
    va_start(ap, f);
    kvprintf(f, ap);
    va_end(ap);
    kprintf("\n");
    plat_poweroff();
}
