/* Child process for the system tests: does one thing, chosen by argv[1]. */
#include <hm/blkclient.h>
#include <hm/chrclient.h>
#include <hm/hm.h>
#include "ktest.h"
#include "quota_cases.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static struct hm_ipc_buf ipcbuf;

/* "quota": a client whose creator (kt_quota) limited its quota exhausts
 * each kind; then a process it makes with limits far above its own cannot
 * take more threads than it has left itself. Its exit status: failures. */
static int quota_client(void)
{
    static uint64_t stack[32] __attribute__((aligned(16)));
    kt_init("quota-client");
    quota_cases("a client");
    uint64_t big[HM_QUOTA_N] = { 1ull << 30, 1ull << 30, 4000, 4000, 4000 };
    struct hm_quota mine;
    long g = hm_proc_create_limited("grandchild", 10, HM_HANDLE_INVALID, big);
    KT_OK(g, "quota: a client makes a process with limits above its own");
    KT_EQ(hm_proc_quota(HM_HANDLE_SELF_PROC, &mine), 0, "quota: it reads its own");
    long made = 0, r = 0;
    hm_handle_t t[64];
    while (g >= 0 && made < 64 && (r = hm_thread_create((hm_handle_t)g, (void *)quota_client, &stack[32], 0, 1)) >= 0)
        t[made++] = (hm_handle_t)r;
    char name[128];
    snprintf(name, sizeof name, "quota: threads in that process stop at what the client has left (%ld of limit %lu, "
             "%lu in use)", made, (unsigned long)mine.limit[HM_QUOTA_THREADS], (unsigned long)mine.used[HM_QUOTA_THREADS]);
    KT_CHECK(r == -HM_ENOMEM && (uint64_t)made == mine.limit[HM_QUOTA_THREADS] - mine.used[HM_QUOTA_THREADS], name);
    for (long i = 0; i < made; i++)
        hm_handle_close(t[i]);
    if (g >= 0) {
        hm_proc_kill((hm_handle_t)g);
        hm_handle_close((hm_handle_t)g);
    }
    return kt_finish();
}

static void serve(hm_handle_t ep)
{
    hm_ipc_buf_set(&ipcbuf);
    struct hm_msg m;
    long r = hm_recv(ep, &m, HM_DEADLINE_NEVER);
    while (r >= 0) {
        uint32_t label = HM_TAG_LABEL(m.tag);
        if (label == 99) {             /* hold the caller: never reply */
            for (;;)
                hm_thread_park();
        }
        if (label == 100) {            /* report what arrived in the buffer */
            struct hm_handle_info info = {0};
            unsigned nh = HM_TAG_NHANDLES(m.tag);
            if (nh)
                hm_handle_info(ipcbuf.handles[0], &info);
            uint64_t sum = 0;
            for (unsigned i = 0; i < HM_TAG_NWORDS(m.tag); i++)
                sum += ipcbuf.words[i];
            m.w[0] = nh;
            m.w[1] = info.type;
            m.w[2] = info.rights;
            m.w[3] = sum;
            m.w[4] = HM_TAG_NWORDS(m.tag);
            m.w[5] = m.badge;
            m.tag = HM_TAG(101, 0, 0);
        } else {                       /* echo: label + 1, words doubled, badge in w[5] */
            m.tag = HM_TAG(label + 1, 0, 0);
            for (int i = 0; i < 5; i++)
                m.w[i] *= 2;
            m.w[5] = m.badge;
        }
        r = hm_reply_recv(ep, &m);
    }
    printf("kt_helper: server stops: %s\n", hm_strerror(r));
}

int main(int argc, char **argv)
{
    const char *mode = argc > 1 ? argv[1] : "";
    const char *arg = argc > 2 ? argv[2] : "0";
    hm_handle_t notif = hm_start_handle("notif");
    if (!strcmp(mode, "exit"))
        return atoi(arg);
    if (!strcmp(mode, "quota"))
        return quota_client();
    if (!strcmp(mode, "data-abort")) {
        volatile int *volatile bad = (volatile int *)0x10;   /* hide the constant from the optimiser */
        return *bad;
    }
    if (!strcmp(mode, "write-text")) {
        *(volatile uint32_t *)(uintptr_t)main = 0;
        return 0;
    }
    if (!strcmp(mode, "exec-data")) {
        static uint32_t code[2] = { 0xd65f03c0 /* ret */ };
        ((void (*)(void))(uintptr_t)code)();
        return 0;
    }
    if (!strcmp(mode, "undef")) {
        __asm__ volatile("udf #0");
        return 0;
    }
    if (!strcmp(mode, "brk")) {
        __asm__ volatile("brk #7");
        return 0;
    }
    if (!strcmp(mode, "pager")) {
        /* reads an unmapped address; the supervisor maps it and resumes us */
        volatile uint64_t *volatile p = (volatile uint64_t *)0x20000000ull;
        return (int)(*p & 0xff);
    }
    if (!strcmp(mode, "server")) {
        serve(hm_start_handle("ep"));
        return 0;
    }
    if (!strcmp(mode, "client")) {
        struct hm_msg m = { .tag = HM_TAG(1, 0, 0) };
        long r = hm_call(hm_start_handle("ep"), &m);
        return r < 0 ? (int)-r : 0;
    }
    if (!strcmp(mode, "alloc")) {
        size_t mib = (size_t)atoi(arg);
        char *p = hm_alloc_pages(mib << 20, NULL);
        if (!p)
            return 2;
        for (size_t i = 0; i < (mib << 20); i += 4096)
            p[i] = 1;
        hm_notif_signal(notif, 1);
        for (;;)
            hm_thread_park();
    }
    if (!strcmp(mode, "irqbind")) {
        long n = hm_notif_create();
        long irq = hm_irq_create(hm_start_handle("root"), (uint32_t)atoi(arg), (hm_handle_t)n, 1, 0);
        hm_notif_signal(notif, irq >= 0 ? 1 : 2);
        for (;;)
            hm_thread_park();
    }
    if (!strcmp(mode, "novfs")) {
        /* given no vfs handle: no handle value it can name opens anything; exit 0 if so */
        memset(ipcbuf.words, 0, 128);
        strcpy((char *)ipcbuf.words, "/dev/vda");
        hm_ipc_buf_set(&ipcbuf);
        int opened = hm_start_handle("vfs") != HM_HANDLE_INVALID;
        for (int h = 0; h < 64; h++) {
            struct hm_msg m = { .tag = HM_TAG(0x56460001u, 16, 0) };
            for (int gen = 0; gen < 4; gen++)
                if (hm_call(h | gen << 16, &m) == 0 && HM_TAG_LABEL(m.tag) == 0 && HM_TAG_NHANDLES(m.tag))
                    opened = 1;
        }
        return opened;
    }
    if (!strcmp(mode, "nomap")) {
        /* a driver with one granted page ("mmio") and an IRQ resource ("irqres")
         * must not reach any other device memory; exit 0 if all is refused */
        hm_handle_t mmio = hm_start_handle("mmio"), irqres = hm_start_handle("irqres");
        int bad = 0;
        bad |= hm_start_handle("root") != HM_HANDLE_INVALID;
        bad |= hm_mem_device(irqres, 0x0a000000, 4096) != -HM_ERANGE;        /* IRQ resource, not MMIO */
        bad |= hm_mem_device(mmio, 0x0a000000, 4096) != -HM_ETYPE;           /* a memory object is no resource */
        bad |= hm_mem_device(HM_HANDLE_SELF_PROC, 0x0a000000, 4096) != -HM_ETYPE;
        bad |= hm_vm_map(HM_HANDLE_SELF_PROC, mmio, 0, 8192, 0, HM_MAP_R) != -HM_EINVAL;   /* beyond its page */
        bad |= hm_vm_map(HM_HANDLE_SELF_PROC, mmio, 0, 4096, 0, HM_MAP_R) <= 0;            /* its page is fine */
        return bad;
    }
    if (!strcmp(mode, "blkflood")) {
        /* a block client that dies with requests in flight: 16 reads of
         * 64 KiB queued on the driver endpoint "blk", then signal and wait
         * to be killed */
        struct hm_blk_client c;
        int st = hm_blk_open(&c, hm_start_handle("blk"), 16, 16 * 65536, NULL);
        for (int i = 0; i < 16 && !st; i++)
            st = hm_blk_submit(&c, HM_BLK_READ, (uint64_t)i * 65536, (uint64_t)i * 65536, 65536, (uint64_t)i);
        hm_notif_signal(notif, st ? 2 : 1);
        for (;;)
            hm_thread_park();
    }
    if (!strcmp(mode, "chropen")) {
        /* a character device client that dies with its file open: open the
         * node "chr" (its driver's endpoint), signal 1 (or 2 and the errno
         * in the exit status), and wait to be killed */
        struct hm_chr_file f;
        int st = hm_chr_open(&f, hm_start_handle("chr"), HM_CHR_O_RDONLY, NULL);
        hm_notif_signal(notif, st ? 2 : 1);
        if (st)
            return -st;
        for (;;)
            hm_thread_park();
    }
    if (!strcmp(mode, "chrread")) {
        /* a client that sleeps in a read that never ends (rtc0's read
         * waits for an RTC interrupt nobody enabled): signal 1 before it */
        struct hm_chr_file f;
        int st = hm_chr_open(&f, hm_start_handle("chr"), HM_CHR_O_RDONLY, NULL);
        hm_notif_signal(notif, st ? 2 : 1);
        uint64_t data;
        long r = st ? st : hm_chr_read(&f, &data, sizeof data);
        printf("kt_helper: the read returned %ld\n", r);
        for (;;)
            hm_thread_park();
    }
    if (!strcmp(mode, "spin")) {
        hm_notif_signal(notif, 1);
        for (;;)
            ;
    }
    printf("kt_helper: unknown mode '%s'\n", mode);
    return 99;
}
