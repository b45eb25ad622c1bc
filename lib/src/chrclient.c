/* Character device file client (see hm/chrclient.h). */
#include <hm/chrclient.h>
#include <errno.h>
#include <string.h>

#define DONE_BIT 1ull   /* our notification: a request was answered */
#define WAKE_BIT 2ull   /* a wait queue the file polled woke */

static struct hm_ipc_buf own_buf;

int hm_chr_stat(hm_handle_t h, uint64_t *open)
{
    struct hm_msg m = { .tag = HM_TAG(HM_CHR_STAT, 0, 0) };
    long r = hm_call(h, &m);
    if (r < 0)
        return -EIO;
    if (HM_TAG_LABEL(m.tag))
        return -(int)HM_TAG_LABEL(m.tag);
    if (open)
        *open = m.w[0];
    return 0;
}

/* until the answer to request f->req, or until `deadline` for a wake-up
 * (want_wake); checks the driver is there every HM_CHR_PROBE_MS: 1 (it
 * came), 0 (deadline), -EIO (the driver is gone) */
static int wait_for(struct hm_chr_file *f, int want_wake, uint64_t deadline)
{
    for (;;) {
        if (!want_wake && f->sh->done == f->req)
            return 1;
        if (want_wake && f->woken) {
            f->woken = 0;
            return 1;
        }
        uint64_t probe = hm_deadline_ms(HM_CHR_PROBE_MS), bits = 0;
        long r = hm_notif_wait(f->notif, deadline < probe ? deadline : probe, &bits);
        if (r >= 0) {
            f->woken |= !!(bits & WAKE_BIT);
            continue;
        }
        if (r != -HM_ETIMEDOUT)
            return -EIO;
        if (want_wake && hm_now() >= deadline)
            return 0;
        if (!want_wake && f->sh->done == f->req)
            return 1;
        if (hm_chr_stat(f->file, NULL) == -EIO)
            return -EIO;   /* its endpoint is closed: the container stopped */
    }
}

/* one request: its result */
static long call(struct hm_chr_file *f, uint32_t op, uint64_t a0, uint64_t a1)
{
    if (!f->sh)
        return -EBADF;
    f->sh->op = op;
    f->sh->arg[0] = a0;
    f->sh->arg[1] = a1;
    __asm__ volatile("dmb ish" ::: "memory");   /* the arguments before the number */
    f->sh->req = ++f->req;
    if (hm_notif_signal(f->doorbell, HM_CHR_DOORBELL_BIT) < 0)
        return -EIO;
    int st = wait_for(f, 0, HM_DEADLINE_NEVER);
    if (st < 0)
        return st;
    __asm__ volatile("dmb ish" ::: "memory");
    int64_t res = f->sh->result;
    return res < -4095 ? -EIO : (long)res;   /* a driver answers an errno or a count */
}

static void drop(struct hm_chr_file *f)
{
    if (f->sh)
        hm_vm_unmap(HM_HANDLE_SELF_PROC, (uint64_t)f->sh);
    hm_handle_t *hs[] = { &f->file, &f->doorbell, &f->notif, &f->mem };
    for (unsigned i = 0; i < 4; i++)
        if (*hs[i] >= 0) {
            hm_handle_close(*hs[i]);
            *hs[i] = HM_HANDLE_INVALID;
        }
    f->sh = NULL;
}

int hm_chr_open(struct hm_chr_file *f, hm_handle_t ep, int flags, struct hm_ipc_buf *buf)
{
    memset(f, 0, sizeof *f);
    f->file = f->doorbell = f->notif = f->mem = HM_HANDLE_INVALID;
    if (!buf) {
        buf = &own_buf;
        hm_ipc_buf_set(buf);
    }
    f->buf = buf;
    long mem = hm_mem_create(HM_CHR_SHM_SIZE, HM_MEM_ANON);
    long va = mem < 0 ? mem : hm_vm_map(HM_HANDLE_SELF_PROC, (hm_handle_t)mem, 0, HM_CHR_SHM_SIZE, 0, HM_MAP_R | HM_MAP_W);
    long n = hm_notif_create();
    if (mem >= 0)
        f->mem = (hm_handle_t)mem;
    if (va >= 0)
        f->sh = (struct hm_chr_shared *)va;
    if (n >= 0)
        f->notif = (hm_handle_t)n;
    long nd = n < 0 ? n : hm_handle_dup((hm_handle_t)n, HM_R_SIGNAL | HM_R_GRANT, 0);
    long pd = hm_handle_dup(HM_HANDLE_SELF_PROC, HM_R_READ | HM_R_GRANT, 0);
    if (mem < 0 || va < 0 || n < 0 || nd < 0 || pd < 0) {
        if (nd >= 0)
            hm_handle_close((hm_handle_t)nd);
        if (pd >= 0)
            hm_handle_close((hm_handle_t)pd);
        drop(f);
        return -ENOMEM;
    }
    f->data = (uint8_t *)va + HM_CHR_DATA_OFF;
    buf->handles[0] = f->mem;
    buf->handles[1] = (hm_handle_t)nd;
    buf->handles[2] = (hm_handle_t)pd;
    struct hm_msg m = { .tag = HM_TAG(HM_CHR_OPEN, 0, 3), .w = { (uint64_t)flags, DONE_BIT, WAKE_BIT } };
    long r = hm_call(ep, &m);
    hm_handle_close((hm_handle_t)nd);   /* copies went: ours are not needed */
    hm_handle_close((hm_handle_t)pd);
    int st = r < 0 ? -EIO : -(int)HM_TAG_LABEL(m.tag);
    if (!st && HM_TAG_NHANDLES(m.tag) != 2)
        st = -EIO;
    if (st) {
        drop(f);
        return st;
    }
    f->doorbell = buf->handles[0];
    f->file = buf->handles[1];
    f->req = 1;   /* the driver's open is request 1 */
    st = wait_for(f, 0, HM_DEADLINE_NEVER);
    __asm__ volatile("dmb ish" ::: "memory");
    if (st > 0)
        st = (int)f->sh->result;
    if (st) {
        hm_chr_close(f);
        return st;
    }
    return 0;
}

long hm_chr_read(struct hm_chr_file *f, void *buf, size_t len)
{
    long n = call(f, HM_CHR_OP_READ, len < HM_CHR_DATA_MAX ? len : HM_CHR_DATA_MAX, 0);
    if (n > 0)
        memcpy(buf, f->data, (size_t)n);
    return n;
}

long hm_chr_write(struct hm_chr_file *f, const void *buf, size_t len)
{
    size_t n = len < HM_CHR_DATA_MAX ? len : HM_CHR_DATA_MAX;
    if (f->sh)
        memcpy(f->data, buf, n);
    return call(f, HM_CHR_OP_WRITE, n, 0);
}

long hm_chr_ioctl(struct hm_chr_file *f, uint32_t cmd, void *arg, uint64_t iarg)
{
    uint32_t size = HM_IOC_DIR(cmd) == HM_IOC_NONE ? 0 : HM_IOC_SIZE(cmd);
    if (size > HM_CHR_DATA_MAX)
        return -EINVAL;
    if (size && !arg)
        return -EFAULT;
    if (size && f->sh)
        memcpy(f->data, arg, size);
    long r = call(f, HM_CHR_OP_IOCTL, cmd, iarg);
    if (r >= 0 && size && (HM_IOC_DIR(cmd) & HM_IOC_READ))
        memcpy(arg, f->data, size);
    return r;
}

int hm_chr_poll(struct hm_chr_file *f, int events, int timeout_ms)
{
    uint64_t deadline = timeout_ms < 0 ? HM_DEADLINE_NEVER : hm_deadline_ms((uint64_t)timeout_ms);
    for (;;) {
        f->woken = 0;
        long r = call(f, HM_CHR_OP_POLL, (uint64_t)events, 0);
        if (r != 0)
            return (int)r;   /* ready (or an error) */
        int st = wait_for(f, 1, deadline);
        if (st <= 0)
            return st;   /* the time is up, or the driver went */
    }
}

void hm_chr_close(struct hm_chr_file *f)
{
    if (f->file >= 0)
        call(f, HM_CHR_OP_CLOSE, 0, 0);   /* returns once released (a gone driver has nothing to release) */
    drop(f);
}
