/*
 * The fuzzer's targets, the messages it sends them and the rules each
 * answer is checked against (fuzz.c says what the command does).
 */
#include "sh.h"
#include "fuzz.h"
#include <hm/blk.h>
#include <hm/chr.h>
#include <hm/dc.h>
#include <hm/dm.h>
#include <hm/twin.h>
#include <hm/vfs.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

/* what each kind of caller may ask, by the servers' tables: the shell's
 * devmgr handle is a client's (no fault right), a /dev node's handle is
 * the one vfs hands every client */
static const struct { int kind; uint32_t own; uint32_t allowed[FZ_MAX_ALLOWED]; } rules[] = {
    { FZ_DM, HM_PROTO_DM, { HM_DM_LSDEV, HM_DM_DMESG } },
    { FZ_VFS, HM_PROTO_VFS, { HM_VFS_OPEN, HM_VFS_STAT, HM_VFS_READDIR, HM_VFS_READ, HM_VFS_WRITE, HM_VFS_IOCTL } },
    { FZ_DISK, HM_PROTO_BLK, { HM_BLK_INFO, HM_BLK_IOCTL, HM_BLK_ATTACH } },
    { FZ_CHR, HM_PROTO_CHR, { HM_CHR_OPEN, HM_CHR_STAT } },
};

static const uint32_t prefixes[] = { HM_PROTO_BLK, HM_PROTO_VFS, HM_PROTO_DM, HM_PROTO_DC,
                                     HM_PROTO_TWIN, HM_PROTO_CHR, HM_PROTO_KERNEL };

/* names and paths the services know, to get past their first checks */
static const char *const dict[] = {
    "/", "/dev", "/dev/vda", "/dev/vdb", "/dev/sda", "/dev/nvme0n1", "/dev/mmcblk0", "/dev/rtc0", "/dev/zero",
    "/dev/input/event0", "/tmp", "/tmp/fz", "/tmp/../dev/vda", "//dev//vda", "/dev/", "ldc0", "ldc1", "ldc2",
    "ldc3", "ndc0", "vda", "vdz", "rtc0", "input/event0", "nvme0n1", "", "..", "a/../../b",
};

static const uint64_t interesting[] = {
    4096, 512, 0x40000000, 0x0a003e00, 0x09010000, HM_DM_WHERE_PCI | 0x18, HM_DM_FAULT_KILL, HM_DM_FAULT_HANG,
    HM_BLK_IOC_GETSIZE, HM_BLK_IOC_SSZGET, HM_VFS_BLK, HM_VFS_CHR, HM_VFS_REPLACE, 1ull << 63, 0x7fffffff,
    (uint64_t)-4096, 255, 256, 257, 60001,
};

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

static int allowed(const struct fz_target *t, uint32_t label)
{
    for (unsigned i = 0; i < t->nallowed; i++)
        if (t->allowed[i] == label)
            return 1;
    return 0;
}

static uint32_t pick_label(const struct fz_target *t)
{
    unsigned r = (unsigned)(fz_rand() % 20);
    if (r < 8 && t->nallowed)
        return t->allowed[fz_rand() % t->nallowed];
    if (r < 17)
        return HM_LABEL(prefixes[fz_rand() % NELEM(prefixes)], fz_rand() % 16);
    if (r == 17)
        return HM_MSG_FAULT;   /* a forged kernel fault message */
    return (uint32_t)fz_rand();
}

static uint64_t pick_word(void)
{
    switch (fz_rand() % 8) {
    case 0: return 0;
    case 1: return ~0ull;
    case 2: return fz_rand();
    case 3: return 1ull << (fz_rand() % 64);
    case 4: return interesting[fz_rand() % NELEM(interesting)];
    default: return fz_rand() % 64;
    }
}

/* the IPC buffer's extra words: a name or path (sometimes mutated, its
 * NUL sometimes gone) over noise; how many of them */
static unsigned fill_words(struct hm_ipc_buf *b)
{
    static const unsigned sizes[] = { 0, 0, 0, 1, 2, 4, HM_VFS_PATH_WORDS, HM_VFS_PATH_WORDS + 32, HM_IPC_BUF_WORDS };
    unsigned r = (unsigned)(fz_rand() % 50), nw = r == 0 ? 65 + (unsigned)(fz_rand() % 190)   /* past the buffer */
                                                : sizes[fz_rand() % NELEM(sizes)];
    for (unsigned i = 0; i < HM_IPC_BUF_WORDS; i++)
        b->words[i] = fz_rand();
    if (fz_rand() % 5 < 3) {
        char *s = (char *)b->words;
        const char *w = dict[fz_rand() % NELEM(dict)];
        size_t len = strlen(w);
        memcpy(s, w, len + 1);
        if (fz_rand() % 6 == 0 && len)
            s[fz_rand() % len] ^= (char)(1 + fz_rand() % 255);   /* a byte flipped */
        if (fz_rand() % 8 == 0)
            memset(s + len, 'a', 200);   /* no end within a name or a path */
    }
    return nw;
}

static void broke(struct fz_run *run, const struct fz_target *t, uint32_t label, const char *why, uint32_t st)
{
    fz_broke(run, "%s, label 0x%x: %s (answer %u)", t->name, label, why, st);
}

/* a session a well-formed HM_BLK_ATTACH opened: a few random calls on its
 * handle (only DETACH is the client's there), then DETACH */
static void session(struct fz_run *run, struct fz_target *t, hm_handle_t s)
{
    /* own 0: a twin's session server knows only DETACH of the block
     * protocol, so its other requests are unknown there (EINVAL) */
    struct fz_target sess = { .h = s, .kind = -1, .allowed = { HM_BLK_DETACH }, .nallowed = 1, .own = 0 };
    snprintf(sess.name, sizeof sess.name, "%.14s session", t->name);
    run->sessions++;
    for (int n = (int)(fz_rand() % 4); n > 0; n--)
        fz_one_call(run, &sess);
    struct hm_msg m = { .tag = HM_TAG(HM_BLK_DETACH, 0, 0) };
    long r = sess.h < 0 ? 0 : hm_call(s, &m);
    sess.calls += sess.h >= 0;
    for (unsigned i = 0; sess.h >= 0 && r >= 0 && i < HM_TAG_NHANDLES(m.tag) && i < HM_IPC_MAX_HANDLES; i++)
        hm_handle_close(sh_buf.handles[i]);
    if (r == -HM_ECLOSED)
        sess.crashes++;
    else if (sess.h >= 0 && !sess.detached && (r < 0 || HM_TAG_LABEL(m.tag)))
        broke(run, &sess, HM_BLK_DETACH, "a session's detach failed", r < 0 ? (uint32_t)-r : HM_TAG_LABEL(m.tag));
    t->calls += sess.calls;
    t->refused += sess.refused;
    t->crashes += sess.crashes;
}

/* the handles of a call: copies of pool objects with random rights (the
 * right to grant usually kept, so that most reach the server), or numbers
 * that name nothing; fresh[i]: sent[i] is a copy this call made */
static unsigned pick_handles(struct fz_run *run, hm_handle_t sent[HM_IPC_MAX_HANDLES], int fresh[HM_IPC_MAX_HANDLES])
{
    unsigned nh = fz_rand() % 3 ? (unsigned)(fz_rand() % 4) : 0;
    for (unsigned i = 0; i < nh; i++) {
        fresh[i] = 0;
        if (fz_rand() % 8 == 0) {
            /* a number that names nothing: a slot past any table the shell
             * has (a small one could be its own process handle, with every
             * right), or a copy closed a moment ago */
            long dead = hm_handle_dup(run->pool[fz_rand() % FZ_POOL], HM_R_ALL, 0);
            if (dead >= 0)
                hm_handle_close((hm_handle_t)dead);
            sent[i] = fz_rand() % 2 || dead < 0 ? (hm_handle_t)(4096 + fz_rand() % (65536 - 4096)) : (hm_handle_t)dead;
            continue;
        }
        uint32_t rights = (uint32_t)fz_rand() & HM_R_ALL;
        if (fz_rand() % 8)
            rights |= HM_R_GRANT;
        long h = hm_handle_dup(run->pool[fz_rand() % FZ_POOL], rights, 0);
        sent[i] = h < 0 ? HM_HANDLE_INVALID : (hm_handle_t)h;
        fresh[i] = h >= 0;
    }
    return nh;
}

/* a call whose target's server is gone: a /dev node is opened again (its
 * container was restarted: devmgr counts that, fuzz.c reports it) */
static void target_gone(struct fz_target *t)
{
    printf("fuzz: crash: %s: its server is gone\n", t->name);
    t->crashes++;
    if (t->kind != FZ_DISK && t->kind != FZ_CHR) {
        t->h = HM_HANDLE_INVALID;
        return;
    }
    hm_handle_close(t->h);
    t->h = HM_HANDLE_INVALID;
    for (int i = 0; i < 100 && t->h < 0; i++) {
        struct hm_msg m = {0};
        if (!vfs_req(HM_VFS_OPEN, t->name, &m, 0) && HM_TAG_NHANDLES(m.tag))
            t->h = sh_buf.handles[0];
        else
            hm_sleep_until(hm_deadline_ms(100));
    }
}

void fz_one_call(struct fz_run *run, struct fz_target *t)
{
    if (t->kind == FZ_SYS) {
        fz_sys_call(run, t);
        return;
    }
    if (t->h < 0)
        return;
    if (t->kind == FZ_DISK && fz_rand() % 32 == 0) {
        fz_blk_session(run, t);   /* a hostile client of the disk (fuzz_blk.c) */
        return;
    }
    struct hm_ipc_buf *b = &sh_buf;
    uint32_t label = pick_label(t);
    struct hm_msg m = {0};
    for (int k = 0; k < 6; k++)
        m.w[k] = pick_word();
    unsigned nw = fill_words(b);
    hm_handle_t sent[HM_IPC_MAX_HANDLES];
    int fresh[HM_IPC_MAX_HANDLES] = {0};
    unsigned nh = pick_handles(run, sent, fresh);
    if (t->kind == FZ_DISK && label == HM_BLK_ATTACH && fz_rand() % 4 == 0) {
        /* well-formed: fitting contiguous memory and a notification */
        for (unsigned i = 0; i < nh; i++)
            if (fresh[i])
                hm_handle_close(sent[i]);
        long mem = hm_mem_create(16384, HM_MEM_CONTIG), n = hm_handle_dup(run->pool[1], HM_R_SIGNAL | HM_R_GRANT, 0);
        sent[0] = mem < 0 ? HM_HANDLE_INVALID : (hm_handle_t)mem;
        sent[1] = n < 0 ? HM_HANDLE_INVALID : (hm_handle_t)n;
        fresh[0] = mem >= 0;
        fresh[1] = n >= 0;
        nh = 2;
        nw = 0;
        m.w[0] = 1u << (fz_rand() % 6);
        m.w[1] = 1;
    }
    /* moved only when every handle is a copy made for this call: a number
     * that names nothing may name one of the shell's own */
    int move = nh && fz_rand() % 8 == 0;
    for (unsigned i = 0; i < nh; i++)
        move &= fresh[i];
    for (unsigned i = 0; i < nh; i++)
        b->handles[i] = sent[i];
    m.tag = HM_TAG(label, nw, nh) | (move ? HM_TAG_MOVE : 0);
    long r = hm_call(t->h, &m);
    t->calls++;
    for (unsigned i = 0; i < nh; i++)
        if (fresh[i] && !(move && r >= 0))
            hm_handle_close(sent[i]);   /* copied, or not sent: still ours */
    if (r == -HM_ECLOSED) {
        target_gone(t);
        return;
    }
    if (r < 0) {
        t->refused++;   /* the kernel refused it: a handle that is none, or without the right to grant */
        return;
    }
    uint32_t st = HM_TAG_LABEL(m.tag);
    unsigned rh = HM_TAG_NHANDLES(m.tag);
    hm_handle_t got[HM_IPC_MAX_HANDLES];
    for (unsigned i = 0; i < rh && i < HM_IPC_MAX_HANDLES; i++)
        got[i] = b->handles[i];
    int may = allowed(t, label);
    if (st > HM_STATUS_MAX)
        broke(run, t, label, "answered with a request label", st);
    else if (st && rh)
        broke(run, t, label, "a refusal carried handles", st);
    else if (!may && !st)
        broke(run, t, label, "a request this caller may not make was answered 0", st);
    else if (!may && label >> 16 == t->own && hm_label_defined(label) && st != EPERM)
        broke(run, t, label, "its own protocol's request refused otherwise than EPERM", st);
    if (st)
        t->refused++;
    if (!st && label == HM_BLK_DETACH)
        t->detached = 1;
    int opened = !st && may && (label == HM_BLK_ATTACH || label == HM_CHR_OPEN);
    if (opened && rh != 2)
        broke(run, t, label, "an open answered 0 without its doorbell and handle", st);
    if (opened && rh == 2 && label == HM_BLK_ATTACH)
        session(run, t, got[1]);
    if (opened && rh == 2 && label == HM_CHR_OPEN) {
        struct hm_msg c = { .tag = HM_TAG(HM_CHR_CLOSE, 0, 0) };   /* Linux's file is released again */
        long cr = hm_call(got[1], &c);
        if (cr < 0 || HM_TAG_LABEL(c.tag))
            broke(run, t, HM_CHR_CLOSE, "a file it opened could not be closed", cr < 0 ? (uint32_t)-cr : HM_TAG_LABEL(c.tag));
        for (unsigned i = 0; cr >= 0 && i < HM_TAG_NHANDLES(c.tag) && i < HM_IPC_MAX_HANDLES; i++)
            hm_handle_close(b->handles[i]);
    }
    for (unsigned i = 0; i < rh && i < HM_IPC_MAX_HANDLES; i++)
        hm_handle_close(got[i]);
}

static int add_target(struct fz_run *run, const char *name, int kind, hm_handle_t h)
{
    if (run->ntargets == FZ_MAX_TARGETS) {
        printf("fuzz: more than %d targets: %s left out\n", FZ_MAX_TARGETS, name);
        return -ENOSPC;
    }
    struct fz_target *t = &run->targets[run->ntargets++];
    memset(t, 0, sizeof *t);
    snprintf(t->name, sizeof t->name, "%s", name);
    t->h = h;
    t->kind = kind;
    for (unsigned i = 0; i < NELEM(rules); i++)
        if (rules[i].kind == kind) {
            t->own = rules[i].own;
            for (t->nallowed = 0; t->nallowed < FZ_MAX_ALLOWED && rules[i].allowed[t->nallowed]; t->nallowed++)
                t->allowed[t->nallowed] = rules[i].allowed[t->nallowed];
        }
    return 0;
}

/* a /dev node: its driver's handle, as vfs hands it to any client */
static int add_node(struct fz_run *run, const char *path)
{
    struct hm_msg m = {0};
    int st = vfs_req(HM_VFS_OPEN, path, &m, 0);
    if (st)
        return st;
    if (!HM_TAG_NHANDLES(m.tag))
        return 0;   /* no driver behind it (/dev/zero) */
    hm_handle_t h = sh_buf.handles[0];
    st = add_target(run, path, m.w[0] == HM_VFS_CHR ? FZ_CHR : FZ_DISK, h);
    if (st)
        hm_handle_close(h);
    return st == -ENOSPC ? 0 : st;   /* the rest are fuzzed without it */
}

/* every node under dir (one level of subdirectories: /dev/input/event0) */
static int add_nodes(struct fz_run *run, const char *dir, int depth)
{
    for (uint64_t i = 0;; i++) {
        struct hm_msg m = { .w = { i } };
        int st = vfs_req(HM_VFS_READDIR, dir, &m, 0);
        if (st == -ENOENT)
            return 0;
        if (st)
            return st;
        char path[HM_VFS_PATH_MAX];
        snprintf(path, sizeof path, "%s/%.100s", dir, (const char *)sh_buf.words);
        uint64_t type = m.w[0];
        /* not a watchdog unless named: an open that succeeded by chance
         * would arm it, and it resets the machine unless kept alive */
        if (!strncmp((const char *)sh_buf.words, "watchdog", 8))
            continue;
        st = type == HM_VFS_DIR && depth ? add_nodes(run, path, 0)
           : type == HM_VFS_BLK || type == HM_VFS_CHR ? add_node(run, path) : 0;
        if (st)
            return st;
    }
}

int fz_setup(struct fz_run *run, int n, char **names)
{
    memset(run, 0, sizeof *run);
    for (int i = 0; i < FZ_POOL; i++)
        run->pool[i] = HM_HANDLE_INVALID;
    /* one object of each type to send: an endpoint, a notification,
     * contiguous and anonymous memory, this process (read: wait only) */
    long p[FZ_POOL] = { hm_ep_create(), hm_notif_create(), hm_mem_create(16384, HM_MEM_CONTIG),
                        hm_mem_create(8192, HM_MEM_ANON), hm_handle_dup(HM_HANDLE_SELF_PROC, HM_R_READ | HM_R_GRANT | HM_R_DUP, 0) };
    for (int i = 0; i < FZ_POOL; i++)
        run->pool[i] = p[i] < 0 ? HM_HANDLE_INVALID : (hm_handle_t)p[i];   /* fz_teardown closes them */
    for (int i = 0; i < FZ_POOL; i++)
        if (p[i] < 0)
            return -ENOMEM;
    int st = 0;
    for (int i = 0; i < (n ? n : 4) && !st; i++) {
        const char *name = n ? names[i] : (const char *[]){ "dm", "vfs", "/dev", "sys" }[i];
        if (!strcmp(name, "sys"))
            st = run->sys++ || fz_sys_setup() ? -ENOMEM : add_target(run, "sys", FZ_SYS, HM_HANDLE_INVALID);
        else if (!strcmp(name, "dm"))
            st = add_target(run, "dm", FZ_DM, sh_dm);
        else if (!strcmp(name, "vfs"))
            st = add_target(run, "vfs", FZ_VFS, sh_vfs);
        else if (!strcmp(name, "/dev"))
            st = add_nodes(run, "/dev", 1);
        else if (!strncmp(name, "/dev/", 5))
            st = add_node(run, name);
        else
            st = -ENOENT;
    }
    return st ? st : run->ntargets ? 0 : -ENOENT;
}

void fz_teardown(struct fz_run *run)
{
    for (int i = 0; i < run->ntargets; i++)
        if ((run->targets[i].kind == FZ_DISK || run->targets[i].kind == FZ_CHR) && run->targets[i].h >= 0)
            hm_handle_close(run->targets[i].h);
    for (int i = 0; i < FZ_POOL; i++)
        if (run->pool[i] >= 0)
            hm_handle_close(run->pool[i]);
    if (run->sys)
        fz_sys_teardown();   /* also after a setup that failed half-way */
}
