/* The console object: writes go to the UART, reads come from a small ring
 * the UART's receive interrupt fills. Only holders of the console handle
 * (init passes it on) may use it. */
#include <kernel/object.h>
#include <kernel/plat.h>

struct console the_console;

void console_init(void)
{
    obj_init(&the_console.o, HM_OBJ_CONSOLE);   /* the kernel's reference: never freed */
    list_init(&the_console.readers);
    plat_console_enable_rx_irq();
}

static uint32_t rx_count(void) { return the_console.head - the_console.tail; }

static void deliver_to_reader(void)
{
    struct console *c = &the_console;
    if (!rx_count() || list_empty(&c->readers))
        return;
    struct thread *t = list_entry(c->readers.next, struct thread, qlink);
    uint64_t want = t->tf->x[2];
    char tmp[sizeof c->rx];
    uint32_t n = 0;
    while (n < want && rx_count())
        tmp[n++] = c->rx[c->tail++ % sizeof c->rx];
    int err = copy_to_user(&t->proc->vs, t->tf->x[1], tmp, n);
    thread_unblock(t, err ? err : (int64_t)n);
}

void console_rx_irq(void)
{
    struct console *c = &the_console;
    int ch;
    while ((ch = plat_console_getc()) >= 0) {
        if (rx_count() < sizeof c->rx)
            c->rx[c->head++ % sizeof c->rx] = (char)ch;
    }
    deliver_to_reader();
}

void sys_console_write(struct trapframe *tf)
{
    struct hslot *s;
    int err = handle_get(current->proc, (int32_t)tf->x[0], HM_OBJ_CONSOLE, HM_R_WRITE, &s);
    uint64_t len = tf->x[2];
    if (!err && len > 4096)
        err = -HM_EINVAL;
    char buf[256];
    for (uint64_t off = 0; !err && off < len; off += sizeof buf) {
        uint64_t n = len - off < sizeof buf ? len - off : sizeof buf;
        err = copy_from_user(&current->proc->vs, buf, tf->x[1] + off, n);
        for (uint64_t i = 0; !err && i < n; i++) {
            if (buf[i] == '\n')
                plat_console_putc('\r');
            plat_console_putc(buf[i]);
        }
    }
    tf->x[0] = err ? (uint64_t)err : len;
}

/* (con, buf, len, deadline) -> bytes read (at least 1) */
void sys_console_read(struct trapframe *tf)
{
    struct hslot *s;
    int err = handle_get(current->proc, (int32_t)tf->x[0], HM_OBJ_CONSOLE, HM_R_READ, &s);
    uint64_t len = tf->x[2];
    uint64_t pa;
    if (!err && (len == 0 || len > sizeof the_console.rx))
        err = -HM_EINVAL;
    if (!err && (!vs_lookup(&current->proc->vs, tf->x[1], true, &pa) ||
                 !vs_lookup(&current->proc->vs, tf->x[1] + len - 1, true, &pa)))
        err = -HM_EFAULT;
    if (err) {
        tf->x[0] = (uint64_t)err;
        return;
    }
    console_rx_irq();   /* pick up anything the FIFO holds */
    if (rx_count()) {
        char tmp[sizeof the_console.rx];
        uint32_t n = 0;
        while (n < len && rx_count())
            tmp[n++] = the_console.rx[the_console.tail++ % sizeof the_console.rx];
        err = copy_to_user(&current->proc->vs, tf->x[1], tmp, n);
        tf->x[0] = err ? (uint64_t)err : n;
        return;
    }
    if (tf->x[3] != HM_DEADLINE_NEVER && tf->x[3] <= time_now()) {
        tf->x[0] = (uint64_t)-HM_ETIMEDOUT;
        return;
    }
    thread_block(T_CONSOLE, &the_console.readers, NULL, tf->x[3]);
}
