/* Faults: a user exception stops the thread and the supervisor receives a
 * fault message (thread, pc, address, kind); replying resumes the thread
 * (here after mapping the page it wanted: a user-level pager); without a
 * supervisor the process is terminated. The kernel survives all of it. */
#include "ktest.h"
#include <string.h>

static hm_handle_t sup_send;   /* badged send handle the children report to */

static long expect_fault(hm_handle_t sup, const char *mode, uint64_t kind, const char *name)
{
    long p = kt_spawn(mode, NULL, NULL, 0, sup_send);
    struct hm_msg m;
    long r = hm_recv(sup, &m, hm_deadline_ms(2000));
    char n[80];
    snprintf(n, sizeof n, "%s: supervisor receives a fault message", name);
    kt_report(r == 0 && HM_TAG_LABEL(m.tag) == HM_MSG_FAULT, n, "recv %ld label %x", r, HM_TAG_LABEL(m.tag));
    snprintf(n, sizeof n, "%s: fault kind", name);
    KT_EQ(m.w[3], kind, n);
    snprintf(n, sizeof n, "%s: pc and thread reported", name);
    kt_report(m.w[1] >= 0x400000 && m.w[1] < 0x1000000 && m.w[0] != 0, n, "pc %lx tid %lu",
              (unsigned long)m.w[1], (unsigned long)m.w[0]);
    snprintf(n, sizeof n, "%s: badge names the child", name);
    KT_EQ(m.badge, 0xc41d, n);
    uint64_t addr = m.w[2];
    hm_proc_kill((hm_handle_t)p);
    snprintf(n, sizeof n, "%s: child killed by supervisor", name);
    KT_EQ(kt_wait((hm_handle_t)p, 1000), HM_PROC_EXIT_KILLED, n);
    hm_handle_close((hm_handle_t)p);
    return (long)addr;
}

int main(void)
{
    kt_init("fault");
    long ep = hm_ep_create();
    long sup = hm_handle_dup((hm_handle_t)ep, HM_R_SEND, 0xc41d);
    sup_send = (hm_handle_t)sup;
    long addr = expect_fault((hm_handle_t)ep, "data-abort", HM_FAULT_DATA, "null read");
    KT_EQ(addr, 0x10, "null read: fault address");
    expect_fault((hm_handle_t)ep, "write-text", HM_FAULT_DATA, "write to text (W^X)");
    expect_fault((hm_handle_t)ep, "exec-data", HM_FAULT_INSN, "execute data (W^X)");
    expect_fault((hm_handle_t)ep, "undef", HM_FAULT_UNDEF, "undefined instruction");
    expect_fault((hm_handle_t)ep, "brk", HM_FAULT_BRK, "breakpoint");

    /* pager: map the missing page into the child, reply, the child goes on */
    long p = kt_spawn("pager", NULL, NULL, 0, (hm_handle_t)sup);
    struct hm_msg m;
    long r = hm_recv((hm_handle_t)ep, &m, hm_deadline_ms(2000));
    KT_CHECK(r == 0 && m.w[2] == 0x20000000, "pager: fault at the unmapped address");
    long mem = hm_mem_create(4096, HM_MEM_ANON);
    uint64_t *mine = (uint64_t *)hm_vm_map(HM_HANDLE_SELF_PROC, (hm_handle_t)mem, 0, 4096, 0, HM_MAP_R | HM_MAP_W);
    *mine = 42;
    KT_OK(hm_vm_map((hm_handle_t)p, (hm_handle_t)mem, 0, 4096, 0x20000000, HM_MAP_R), "pager: map page into child");
    m.tag = 0;
    KT_EQ(hm_reply(&m), 0, "pager: reply resumes the thread");
    KT_EQ(kt_wait((hm_handle_t)p, 2000), 42, "pager: child read the mapped value and exited");

    /* a debugger-like supervisor skips a breakpoint: resume at pc + 4 */
    p = kt_spawn("brk", NULL, NULL, 0, (hm_handle_t)sup);
    r = hm_recv((hm_handle_t)ep, &m, hm_deadline_ms(2000));
    KT_CHECK(r == 0 && m.w[3] == HM_FAULT_BRK, "brk: fault message");
    uint64_t pc = m.w[1];
    m.tag = HM_TAG(HM_FAULT_RESUME_AT, 0, 0);
    m.w[0] = pc + 4;
    KT_EQ(hm_reply(&m), 0, "brk: reply resume-at");
    KT_EQ(kt_wait((hm_handle_t)p, 2000), 0, "brk: child continued after the breakpoint and exited normally");

    /* no supervisor: the process is terminated, status FAULTED */
    p = kt_spawn("data-abort", NULL, NULL, 0, HM_HANDLE_INVALID);
    KT_EQ(kt_wait((hm_handle_t)p, 2000), HM_PROC_EXIT_FAULTED, "unsupervised fault terminates the process");

    /* supervisor gone (endpoint closed before the fault): terminated too */
    long ep2 = hm_ep_create();
    long sup2 = hm_handle_dup((hm_handle_t)ep2, HM_R_SEND, 1);
    p = kt_spawn("data-abort", NULL, NULL, 0, (hm_handle_t)sup2);
    hm_handle_close((hm_handle_t)ep2);
    long st = kt_wait((hm_handle_t)p, 2000);
    KT_CHECK(st == HM_PROC_EXIT_FAULTED, "fault with a closed supervisor endpoint terminates");
    KT_EQ(hm_proc_create("x", 1, (hm_handle_t)mem), -HM_ETYPE, "supervisor must be an endpoint");
    return kt_finish();
}
