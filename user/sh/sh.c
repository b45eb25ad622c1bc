/*
 * sh: the serial shell. Prompt "hm# ", one command per line, errors as
 * "sh: <cmd>: <reason>". Handles: "vfs" (namespace), "dm" (device manager),
 * "dm-fault" (devmgr with the fault right: fault, faultstress).
 * poweroff ends the shell; init then powers the machine off.
 */
#include "sh.h"
#include "fuzz.h"
#include "line.h"
#include <hm/dc.h>
#include <hm/dmclient.h>
#include <hm/sha256.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_ARGS 16
hm_handle_t sh_dm = HM_HANDLE_INVALID, sh_dm_fault = HM_HANDLE_INVALID;

/* e: a negative errno */
static void err(const char *cmd, const char *what, int e)
{
    if (what)
        printf("sh: %s: %s: %s\n", cmd, what, strerror(-e));
    else
        printf("sh: %s: %s\n", cmd, strerror(-e));
}

static int cmd_help(int argc, char **argv)
{
    (void)argc, (void)argv;
    printf("commands:\n"
           "  help                      this list\n"
           "  ls [PATH]                 list a directory (default /)\n"
           "  lsdev                     devices, their drivers and containers; each container's quota\n"
           "  dmesg                     the logs of the driver containers that keep one\n"
           "  dd if=F of=F [bs=N] [count=N] [skip=N] [seek=N]   copy blocks (coreutils semantics)\n"
           "  sha256sum PATH...         SHA-256 of files and devices\n"
           "  hexdump -C [-n N] FILE... hex and ASCII, as util-linux's hexdump -C (first N bytes)\n"
           "  blkbench [-b] [-n] [DEV] [MiB] [all|fig10 | OP BS QD]\n"
           "                            block I/O throughput (overwrites the first MiB of DEV; default 16;\n"
           "                            OP seqread|randread|seqwrite|randwrite, BS, QD pick workloads)\n"
           "  kstat                     the microkernel's counters (syscalls, switches, interrupts, ...)\n"
           "  fault CONTAINER kill [--after MS] | crash|hang|spin|deadlock [--at N] [--seed S] | linkreset | twin\n"
           "                            kill a driver container (now, or MS ms later while the next\n"
           "                            command runs), or make it crash or hang at its N-th block\n"
           "                            request (a seed picks N and the path), or make its Linux's block\n"
           "                            thread loop with interrupts off or take a lock it holds, or\n"
           "                            crash the twin serving its device; devmgr restarts it\n"
           "  fault CONTAINER standby   kill the container's standby: devmgr starts another\n"
           "  fault CONTAINER dma [DISK]  make a PCI device of the container (DISK's, e.g. nvme0n1)\n"
           "                            write a page of the shell's: the SMMU stops it, devmgr\n"
           "                            restarts the container; says whether the page is unchanged\n"
           "  faultstress [--each N] [--seed S] DEV:CONTAINER[:KIND,...][=M]...\n"
           "                            verified writes and reads on each DEV (its first 2 MiB are\n"
           "                            overwritten) while N (or M) faults of each KIND (kill, crash,\n"
           "                            hang by default; dma, spin, deadlock, twin) go into each\n"
           "                            CONTAINER;\n"
           "                            fails on any error or lost byte\n"
           "  fuzz [--seed S] [--calls N] [sys|dm|vfs|/dev|/dev/NODE ...]\n"
           "                            N random and mutated requests to the services and system\n"
           "                            calls (default: all, 10000); checks every answer against the\n"
           "                            caller's rights and that nothing died:\n"
           "                            \"fuzz: N calls, M refused, K crashes\"\n"
           "  hwclock [--set \"YYYY-MM-DD HH:MM:SS\"] [DEV]   the RTC's time (UTC; /dev/rtc0), or set it\n"
           "  evtest DEV [SECONDS]      an input device's name and its events until the time is up\n"
           "  watchdog DEV [--timeout S] [--keepalive N] [--close]\n"
           "                            arm a watchdog, keep it alive N times, stop it (magic close)\n"
           "  sleep MS                  wait MS milliseconds (scripts)\n"
           "  poweroff                  end the session and power off\n"
           "words are separated by spaces; \"...\" or '...' makes one word of what it quotes.\n"
           "editing: Left/Right, Home/End, Backspace/Delete, Ctrl-A/E/U/K/W; Up/Down: history;\n"
           "Tab completes commands and paths (twice: lists the choices); Ctrl-C drops the line\n");
    return 0;
}

static int cmd_ls(int argc, char **argv)
{
    const char *path = argc > 1 ? argv[1] : "/";
    for (uint64_t i = 0;; i++) {
        struct hm_msg m = { .w = { i } };
        int st = vfs_req(HM_VFS_READDIR, path, &m, 0);
        if (st == -ENOENT && i == 0) {   /* an empty directory, or none at all? */
            struct hm_msg sm = {0};
            if (vfs_req(HM_VFS_STAT, path, &sm, 0) == 0 && sm.w[0] == HM_VFS_DIR)
                return 0;
        }
        if (st == -ENOENT && i > 0)
            return 0;
        if (st) {
            err("ls", path, st);
            return 1;
        }
        const char *name = (const char *)sh_buf.words;
        if (m.w[0] == HM_VFS_DIR)
            printf("%s/\n", name);
        else
            printf("%-12s %lu\n", name, (unsigned long)m.w[1]);
    }
}

static int cmd_lsdev(int argc, char **argv)
{
    (void)argc, (void)argv;
    int st = sh_dm < 0 ? -ENXIO : hm_dm_print(sh_dm, &sh_buf);
    if (!st) {
        printf("\n");
        st = hm_dm_print_quotas(sh_dm, &sh_buf);
    }
    if (st) {
        err("lsdev", "device manager", st);
        return 1;
    }
    return 0;
}

/* dmesg: every container's log, once per container name (devices driven by
 * containers with the same label are taken to share it) */
static int cmd_dmesg(int argc, char **argv)
{
    (void)argc, (void)argv;
    enum { MAX_LOGS = 64 };   /* devmgr keeps at most 48 devices */
    struct { uint64_t dev; char name[HM_DM_CT_NAME_MAX]; } logs[MAX_LOGS];
    char seen[MAX_LOGS][HM_DM_CT_NAME_MAX];
    int nlogs = 0, nseen = 0, rc = 0;
    if (sh_dm < 0) {
        err("dmesg", "device manager", -ENXIO);
        return 1;
    }
    /* first find the containers that keep a log: the header lines depend on
     * how many there are */
    for (uint64_t i = 0; nlogs < MAX_LOGS && nseen < MAX_LOGS; i++) {
        struct hm_dm_row row;
        uint64_t n, next;
        int st = hm_dm_lsdev(sh_dm, &sh_buf, i, &row);
        const char *name = row.dev.container;
        if (st == -ENOENT)
            break;
        if (st) {
            err("dmesg", "device manager", st);
            return 1;
        }
        if (!name[0])
            continue;   /* no container drives it */
        int dup = 0;
        for (int k = 0; k < nseen && !dup; k++)
            dup = !strcmp(seen[k], name);
        if (dup)
            continue;
        char probe[HM_DC_LOG_CHUNK];
        st = hm_dm_dmesg(sh_dm, &sh_buf, i, 0, probe, &n, &next);
        if (st == -ENOTSUP)
            continue;   /* keeps no log, or no longer runs: another device with the label may */
        strcpy(seen[nseen++], name);
        if (st) {
            err("dmesg", name, st);
            rc = 1;
            continue;
        }
        logs[nlogs].dev = i;
        strcpy(logs[nlogs++].name, name);
    }
    for (int k = 0; k < nlogs; k++) {
        if (nlogs > 1)
            printf("%s==> %s <==\n", k ? "\n" : "", logs[k].name);
        char chunk[HM_DC_LOG_CHUNK];
        uint64_t off = 0, n, next;
        for (;;) {
            int st = hm_dm_dmesg(sh_dm, &sh_buf, logs[k].dev, off, chunk, &n, &next);
            if (st) {
                err("dmesg", logs[k].name, st);
                rc = 1;
                break;
            }
            if (n == 0)
                break;
            if (fwrite(chunk, 1, n, stdout) != n) {
                rc = 1;
                break;
            }
            if (next <= off)
                break;   /* no progress: a broken log must not loop forever */
            off = next;
        }
    }
    fflush(stdout);
    return rc;
}

/* Before the first prompt: the driver containers publish their nodes
 * themselves and say so (HM_DM_READY); wait until none is still starting,
 * so that /dev is complete when "hm# " appears. */
static void wait_for_containers(void)
{
    uint64_t end = hm_deadline_ms(60000);
    int said = 0;
    for (;;) {
        int starting = 0;
        for (uint64_t i = 0; !starting; i++) {
            struct hm_dm_row row;
            if (hm_dm_lsdev(sh_dm, &sh_buf, i, &row))
                break;   /* ENOENT past the last device; on errors lsdev will say more */
            starting = row.state == HM_DM_STARTING;
        }
        if (!starting)
            return;
        if (hm_now() >= end) {
            printf("sh: driver containers still starting after 60 s\n");
            return;
        }
        if (!said) {
            printf("sh: waiting for driver containers to start...\n");
            fflush(stdout);
            said = 1;
        }
        hm_sleep_until(hm_deadline_ms(20));
    }
}

static int cmd_sha256sum(int argc, char **argv)
{
    static uint8_t chunk[64 * 1024];
    int rc = 0;
    if (argc < 2) {
        printf("sh: sha256sum: missing operand\n");
        return 1;
    }
    for (int i = 1; i < argc; i++) {
        struct file f;
        int st = f_open(&f, argv[i]);
        if (st) {
            err("sha256sum", argv[i], st);
            rc = 1;
            continue;
        }
        struct hm_sha256 h;
        hm_sha256_init(&h);
        long n = 0;
        for (uint64_t off = 0; f.type != HM_VFS_ZERO && (n = f_pread(&f, chunk, sizeof chunk, off)) > 0; off += (uint64_t)n)
            hm_sha256_update(&h, chunk, (size_t)n);
        f_close(&f);
        if (n < 0) {
            err("sha256sum", argv[i], (int)n);
            rc = 1;
            continue;
        }
        uint8_t d[32];
        char hex[65];
        hm_sha256_final(&h, d);
        hm_sha256_hex(d, hex);
        printf("%s  %s\n", hex, argv[i]);
    }
    return rc;
}

/* dd operands: NAME=VALUE; numbers take K/M/G suffixes (1024-based) */
static int parse_num(const char *s, uint64_t *out)
{
    char *end;
    uint64_t v = strtoull(s, &end, 10);
    if (end == s)
        return -1;
    if (*end == 'K' || *end == 'k') { v <<= 10; end++; }
    else if (*end == 'M') { v <<= 20; end++; }
    else if (*end == 'G') { v <<= 30; end++; }
    if (*end)
        return -1;
    *out = v;
    return 0;
}

static int cmd_dd(int argc, char **argv)
{
    const char *in = NULL, *out = NULL;
    uint64_t bs = 512, count = UINT64_MAX, skip = 0, seek = 0;
    for (int i = 1; i < argc; i++) {
        char *eq = strchr(argv[i], '=');
        if (!eq) {
            printf("sh: dd: unrecognized operand '%s'\n", argv[i]);
            return 1;
        }
        *eq = 0;
        const char *k = argv[i], *v = eq + 1;
        int bad = 0;
        if (!strcmp(k, "if")) in = v;
        else if (!strcmp(k, "of")) out = v;
        else if (!strcmp(k, "bs")) bad = parse_num(v, &bs) || bs == 0 || bs > (1 << 20);
        else if (!strcmp(k, "count")) bad = parse_num(v, &count);
        else if (!strcmp(k, "skip")) bad = parse_num(v, &skip);
        else if (!strcmp(k, "seek")) bad = parse_num(v, &seek);
        else {
            printf("sh: dd: unrecognized operand '%s'\n", k);
            return 1;
        }
        if (bad) {
            printf("sh: dd: invalid number: '%s'\n", v);
            return 1;
        }
    }
    if (!in || !out) {
        printf("sh: dd: if= and of= are required\n");
        return 1;
    }
    struct file fi, fo;
    int st = f_open(&fi, in);
    if (st) {
        err("dd", in, st);
        return 1;
    }
    st = f_open(&fo, out);
    if (st == -ENOENT && !strncmp(out, "/tmp/", 5))
        st = 0, memset(&fo, 0, sizeof fo), strcpy(fo.path, out), fo.type = HM_VFS_FILE;   /* created on first write */
    if (st) {
        err("dd", out, st);
        f_close(&fi);
        return 1;
    }
    uint8_t *buf = malloc(bs);
    uint64_t full_in = 0, part_in = 0, full_out = 0, part_out = 0, bytes = 0;
    int rc = 0;
    if (!buf) {
        err("dd", NULL, -ENOMEM);
        rc = 1;
    }
    for (uint64_t i = 0; !rc && i < count; i++) {
        long n = f_pread(&fi, buf, bs, (skip + i) * bs);
        if (n < 0) {
            printf("sh: dd: error reading '%s': %s\n", in, strerror((int)-n));
            rc = 1;
            break;
        }
        if (n == 0)
            break;
        (uint64_t)n == bs ? full_in++ : part_in++;
        long w = f_pwrite(&fo, buf, (uint64_t)n, seek * bs + bytes);
        if (w > 0)
            bytes += (uint64_t)w;
        if (w == n) {
            (uint64_t)w == bs ? full_out++ : part_out++;
        } else {
            if (w > 0)
                part_out++;
            printf("sh: dd: error writing '%s': %s\n", out, strerror(w < 0 ? (int)-w : ENOSPC));
            rc = 1;
        }
        if ((uint64_t)n < bs)
            break;   /* end of input */
    }
    printf("%lu+%lu records in\n%lu+%lu records out\n%lu bytes copied\n", (unsigned long)full_in,
           (unsigned long)part_in, (unsigned long)full_out, (unsigned long)part_out, (unsigned long)bytes);
    /* a driver that restarted under us: its requests went to the new one */
    for (int i = 0; i < 2; i++) {
        struct file *f = i ? &fo : &fi;
        if (f->type == HM_VFS_BLK && f->blk.reconnects)
            printf("dd: %s: its driver restarted %u time(s); %u request(s) re-issued to the new one\n", f->path,
                   f->blk.reconnects, f->blk.reissued);
    }
    free(buf);
    f_close(&fi);
    f_close(&fo);
    return rc;
}

/* sleep MS: for scripts (the console is read line by line, so the next
 * command waits) */
static int cmd_sleep(int argc, char **argv)
{
    char *end = NULL;
    unsigned long ms = argc == 2 ? strtoul(argv[1], &end, 10) : 0;
    if (argc != 2 || !end || *end || ms > 600000) {
        printf("usage: sleep MS (at most 600000)\n");
        return 1;
    }
    hm_sleep_until(hm_deadline_ms(ms));
    return 0;
}

/* the microkernel's counters (klog_stats): what a workload cost, compared
 * by hand before and after it */
static int cmd_kstat(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    char buf[512];
    long n = hm_klog_stats(buf, sizeof buf);
    if (n <= 0) {
        printf("sh: kstat: %s\n", n ? hm_strerror(n) : "empty");
        return 1;
    }
    fputs(buf, stdout);
    return 0;
}

static const struct { const char *name; int (*fn)(int, char **); } cmds[] = {
    { "help", cmd_help }, { "ls", cmd_ls }, { "lsdev", cmd_lsdev }, { "dmesg", cmd_dmesg },
    { "sha256sum", cmd_sha256sum }, { "dd", cmd_dd }, { "blkbench", cmd_blkbench },
    { "kstat", cmd_kstat }, { "fault", cmd_fault }, { "faultstress", cmd_faultstress },
    { "sleep", cmd_sleep }, { "hexdump", cmd_hexdump }, { "fuzz", cmd_fuzz },
    { "hwclock", cmd_hwclock }, { "evtest", cmd_evtest }, { "watchdog", cmd_watchdog },
};
#define NCMDS (sizeof cmds / sizeof cmds[0])

const char *sh_command(unsigned i)
{
    return i < NCMDS ? cmds[i].name : i == NCMDS ? "poweroff" : NULL;
}

/* line into words, in place: spaces and tabs separate them; "..." and
 * '...' make one word of what they enclose, spaces included (the quotes are
 * dropped; nothing is special inside them) and may join other text
 * (a"b c"d is "ab cd"). At most max words (later ones are dropped, as
 * always); the count, or -1 if a quote is not closed. */
static int split(char *line, char **argv, int max)
{
    char *r = line, *w = line;   /* read and write ends: w never passes r */
    int argc = 0;
    for (;;) {
        while (*r == ' ' || *r == '\t')
            r++;
        if (!*r)
            return argc;
        char *word = w;
        while (*r && *r != ' ' && *r != '\t') {
            if (*r == '"' || *r == '\'') {
                char q = *r++;
                while (*r && *r != q)
                    *w++ = *r++;
                if (!*r)
                    return -1;
                r++;
            } else {
                *w++ = *r++;
            }
        }
        char end = *r;
        if (end)
            r++;
        *w++ = 0;
        if (argc < max)
            argv[argc++] = word;
        if (!end)
            return argc;
    }
}

int main(void)
{
    sh_vfs = hm_start_handle("vfs");
    sh_dm = hm_start_handle("dm");
    sh_dm_fault = hm_start_handle("dm-fault");   /* the fault right: only if init gave it */
    hm_ipc_buf_set(&sh_buf);
    if (sh_dm >= 0)
        wait_for_containers();
    printf("hm shell; 'help' lists the commands\n");
    char line[256];
    for (;;) {
        if (line_read("hm# ", line, sizeof line) < 0)
            return 0;
        char *argv[MAX_ARGS + 1];
        int argc = split(line, argv, MAX_ARGS);
        if (argc < 0) {
            printf("sh: unterminated quote\n");
            continue;
        }
        argv[argc] = NULL;
        if (!argc)
            continue;
        if (!strcmp(argv[0], "poweroff"))
            return 0;
        unsigned i;
        for (i = 0; i < NCMDS; i++)
            if (!strcmp(argv[0], cmds[i].name))
                break;
        if (i == NCMDS)
            printf("sh: %s: command not found\n", argv[0]);
        else
            cmds[i].fn(argc, argv);
    }
}
