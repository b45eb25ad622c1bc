/*
 * init: the first process. It starts the programs its boot configuration
 * names (boot.conf in the boot image, or "hm.run=a,b" on the kernel command
 * line, which the tests use; "prog:arg:arg" passes arguments; "hm.boot=NAME"
 * reads the boot script NAME instead of boot.conf), supervises them — a fault in one is reported
 * and that process is terminated — and powers the machine off when told.
 *
 * boot.conf, one command per line ('#' starts a comment):
 *   run [OPTIONS] NAME [ARGS...]    start NAME and wait for it to exit
 *   start [OPTIONS] NAME [ARGS...]  start NAME and go on
 *   poweroff                        power off (after every "run" finished)
 * OPTIONS: "+root" also gives the root resource (device MMIO, IRQs, power)
 * and the device tree; "recv=EP" / "send=EP" give the program a handle named
 * EP to init's endpoint of that name (created on first use): the server's
 * may receive, call, duplicate and grant (it mints badged handles from it),
 * the clients' may only call ("send=EP/N" gives a handle with badge N;
 * "send=EP/N:NAME" names that handle NAME: a second handle to EP).
 */
#include <hm/hm.h>
#include <hm/prio.h>
#include <hm/bootimg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_CHILDREN 64
#define MAX_ARGS 16

struct child {
    char name[32];
    hm_handle_t proc;
};
static struct child children[MAX_CHILDREN];

/* endpoints named in boot.conf, connecting servers and clients */
#define MAX_EPS 8
static struct { char name[16]; hm_handle_t h; } eps[MAX_EPS];

static hm_handle_t named_ep(const char *name)
{
    int i;
    for (i = 0; i < MAX_EPS && eps[i].name[0]; i++)
        if (!strcmp(eps[i].name, name))
            return eps[i].h;
    if (i == MAX_EPS)
        return HM_HANDLE_INVALID;
    long h = hm_ep_create();
    if (h < 0)
        return HM_HANDLE_INVALID;
    snprintf(eps[i].name, sizeof eps[i].name, "%s", name);
    eps[i].h = (hm_handle_t)h;
    return eps[i].h;
}
static int nchildren;
static hm_handle_t sup_ep, root, bootimg_h, dtb_h;

/* supervisor thread: fault messages from children arrive as calls */
static void *supervise(void *arg)
{
    (void)arg;
    static struct hm_ipc_buf ipcbuf;
    hm_ipc_buf_set(&ipcbuf);
    for (;;) {
        struct hm_msg m;
        if (hm_recv(sup_ep, &m, HM_DEADLINE_NEVER) < 0)
            continue;
        if (HM_TAG_LABEL(m.tag) != HM_MSG_FAULT || m.badge == 0 || m.badge > MAX_CHILDREN)
            continue;
        struct child *c = &children[m.badge - 1];
        printf("init: %s faulted (thread %lu, pc 0x%lx, address 0x%lx, kind %lu): terminating it\n", c->name,
               (unsigned long)m.w[0], (unsigned long)m.w[1], (unsigned long)m.w[2], (unsigned long)m.w[3]);
        hm_proc_kill(c->proc);
    }
    return NULL;
}

static long start(char **argv, int with_root, const struct hm_spawn_handle *extra, int nextra)
{
    if (nchildren >= MAX_CHILDREN)
        return -HM_ENOSPC;
    struct child *c = &children[nchildren];
    long ep = hm_handle_dup(sup_ep, HM_R_SEND, (uint64_t)nchildren + 1);   /* badge = slot + 1 */
    if (ep < 0)
        return ep;
    struct hm_spawn_handle hs[3 + MAX_EPS] = {
        { "bootimg", bootimg_h, HM_R_READ | HM_R_EXEC | HM_R_MAP | HM_R_GRANT | HM_R_DUP },
        { "root", root, HM_R_ALL },
        { "dtb", dtb_h, HM_R_READ | HM_R_MAP | HM_R_GRANT | HM_R_DUP },
    };
    int n = 1;
    if (with_root)
        n = 3;
    for (int i = 0; i < nextra; i++)
        hs[n++] = extra[i];
    long p = hm_spawn(argv[0], (const char *const *)argv, hs, n, (hm_handle_t)ep, HM_PRIO_SERVICE);
    hm_handle_close((hm_handle_t)ep);
    if (p < 0)
        return p;
    snprintf(c->name, sizeof c->name, "%s", argv[0]);
    c->proc = (hm_handle_t)p;
    nchildren++;
    return p;
}

static int run_line(char *line, int *poweroff)
{
    char *argv[MAX_ARGS + 1];
    int argc = 0;
    char *hash = strchr(line, '#');
    if (hash)
        *hash = 0;
    for (char *tok = strtok(line, " \t\r"); tok && argc < MAX_ARGS; tok = strtok(NULL, " \t\r"))
        argv[argc++] = tok;
    argv[argc] = NULL;
    if (argc == 0)
        return 0;
    if (!strcmp(argv[0], "poweroff")) {
        *poweroff = 1;
        return 0;
    }
    int wait = !strcmp(argv[0], "run");
    if (!wait && strcmp(argv[0], "start")) {
        printf("init: unknown command '%s'\n", argv[0]);
        return -1;
    }
    int with_root = 0, nextra = 0;
    struct hm_spawn_handle extra[MAX_EPS];
    char **prog = argv + 1;
    for (; *prog; prog++) {
        if (!strcmp(*prog, "+root")) {
            with_root = 1;
        } else if ((!strncmp(*prog, "recv=", 5) || !strncmp(*prog, "send=", 5)) && nextra < MAX_EPS) {
            /* send=EP/BADGE gives a badged handle: the server can tell that
             * client apart; ":NAME" names the handle NAME instead of EP (a
             * second handle to the same endpoint, with another badge) */
            char *slash = strchr(*prog + 5, '/'), *as = strchr(*prog + 5, ':'), *end = NULL;
            if (as)
                *as++ = 0;
            uint64_t badge = slash ? strtoull(slash + 1, &end, 0) : 0;
            if (slash && (end == slash + 1 || *end || !badge || (*prog)[0] == 'r')) {
                printf("init: '%s': a badge is a nonzero number, on a send handle only\n", *prog);
                return -1;
            }
            if (as && (!*as || strlen(as) >= HM_START_NAME || (slash && slash > as))) {
                printf("init: '%s': a handle's name (after the badge) is 1 to %d characters\n", *prog, HM_START_NAME - 1);
                return -1;
            }
            if (slash)
                *slash = 0;
            hm_handle_t h = named_ep(*prog + 5);
            if (h < 0) {
                printf("init: cannot create endpoint '%s'\n", *prog + 5);
                return -1;
            }
            if (badge) {
                long b = hm_handle_dup(h, HM_R_SEND | HM_R_GRANT, badge);
                h = b < 0 ? HM_HANDLE_INVALID : (hm_handle_t)b;   /* kept for the boot's lifetime */
            }
            extra[nextra++] = (struct hm_spawn_handle){ as ? as : *prog + 5, h, (*prog)[0] == 'r' ? HM_R_RECV | HM_R_SEND | HM_R_DUP | HM_R_GRANT : HM_R_SEND };
        } else {
            break;
        }
    }
    if (!prog[0]) {
        printf("init: '%s' needs a program name\n", argv[0]);
        return -1;
    }
    long p = start(prog, with_root, extra, nextra);
    if (p < 0) {
        printf("init: cannot start %s: %s\n", prog[0], hm_strerror(p));
        return -1;
    }
    printf("init: started %s\n", prog[0]);
    if (!wait)
        return 0;
    int64_t status;
    long r = hm_proc_wait((hm_handle_t)p, HM_DEADLINE_NEVER, &status);
    if (r < 0)
        printf("init: waiting for %s failed: %s\n", prog[0], hm_strerror(r));
    else if (status == HM_PROC_EXIT_KILLED)
        printf("init: %s was killed\n", prog[0]);
    else
        printf("init: %s exited with status %ld\n", prog[0], (long)status);
    return 0;
}

int main(int argc, char **argv)
{
    root = hm_start_handle("root");
    bootimg_h = hm_start_handle("bootimg");
    dtb_h = hm_start_handle("dtb");
    printf("init: hm user space starting\n");
    long ep = hm_ep_create();
    if (ep < 0 || !hm_bootimg(NULL)) {
        printf("init: cannot set up (%s)\n", hm_strerror(ep < 0 ? ep : -HM_EBADH));
        return 1;
    }
    sup_ep = (hm_handle_t)ep;
    static struct hm_thread sup_thread;
    if (hm_thread_start(&sup_thread, supervise, NULL, HM_PRIO_SUPERVISOR, 1) < 0) {
        printf("init: cannot start the supervisor thread\n");
        return 1;
    }

    int poweroff = 0;
    const char *runlist = NULL, *script = "boot.conf";
    for (int i = 1; i < argc; i++) {
        if (!strncmp(argv[i], "hm.run=", 7))
            runlist = argv[i] + 7;
        else if (!strncmp(argv[i], "hm.boot=", 8))
            script = argv[i] + 8;   /* another boot script of the image (tests, benchmarks) */
    }
    if (runlist) {
        /* test mode: run each program with full authority, then power off */
        char buf[256];
        snprintf(buf, sizeof buf, "%s", runlist);
        for (char *save, *tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
            char line[300];
            for (char *c = tok; *c; c++)
                if (*c == ':')
                    *c = ' ';   /* hm.run=prog:arg1:arg2 passes arguments */
            snprintf(line, sizeof line, "run +root %s", tok);
            run_line(line, &poweroff);
        }
        poweroff = 1;
    } else {
        const void *conf;
        size_t len;
        if (hm_bootimg_find(hm_bootimg(NULL), script, &conf, &len)) {
            printf("init: boot image has no %s\n", script);
            return 1;
        }
        char *text = malloc(len + 1);
        if (!text)
            return 1;
        memcpy(text, conf, len);
        text[len] = 0;
        for (char *save, *line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save))
            run_line(line, &poweroff);
        free(text);
    }
    if (poweroff) {
        printf("init: powering off\n");
        fflush(stdout);
        hm_poweroff(root);
    }
    for (;;)
        hm_thread_park();
}
