/* Boot facts: the kernel runs in the upper half with W^X page tables (its
 * own self-check, reported through klog_stats), found the RAM and GIC the
 * device tree describes, and gave init what it documents. */
#include "ktest.h"
#include <hm/bootimg.h>
#include <hm/elf.h>
#include <string.h>
#include <stdlib.h>

/* A program's read-only segments are mapped from the boot image, not
 * copied: spawning ldc (3 MiB of text and read-only data, 2 MiB of data)
 * charges its spawner for the data, the stack and page tables, not the
 * text. The child runs below us: it has not run (nor exited) when we look. */
static void shared_text(void)
{
    const void *img = hm_bootimg(NULL), *elf;
    size_t len;
    struct hm_elf_seg segs[HM_ELF_MAX_SEGS];
    uint64_t entry, ro = 0, rw = 0;
    int n = img && !hm_bootimg_find(img, "ldc", &elf, &len) ?
            hm_elf_parse(elf, len, HM_USER_VA_MIN, HM_USER_IMAGE_END, &entry, segs, HM_ELF_MAX_SEGS) : -1;
    for (int i = 0; i < n; i++)
        *(segs[i].flags & HM_ELF_W ? &rw : &ro) += segs[i].memsz;
    kt_report(n > 0 && ro > (2u << 20), "ldc in the boot image: over 2 MiB of text and read-only data",
              "%lu KiB read-only, %lu KiB writable", (unsigned long)(ro >> 10), (unsigned long)(rw >> 10));
    struct hm_quota q0, q1;
    const char *av[] = { "ldc", NULL };
    long p = -1;
    if (hm_proc_quota(HM_HANDLE_SELF_PROC, &q0) == 0) {
        p = hm_spawn("ldc", av, NULL, 0, HM_HANDLE_INVALID, 1);
        if (p >= 0 && hm_proc_quota(HM_HANDLE_SELF_PROC, &q1) < 0)
            p = -1;
    }
    uint64_t charged = p >= 0 ? q1.used[HM_QUOTA_MEM] - q0.used[HM_QUOTA_MEM] : 0;
    kt_report(p >= 0 && charged >= rw && charged < rw + ro / 2,
              "spawning ldc charges its data, stack and page tables, not its text (mapped from the boot image)",
              "%lu KiB charged", (unsigned long)(charged >> 10));
    if (p >= 0) {
        hm_proc_kill((hm_handle_t)p);
        KT_CHECK(kt_wait((hm_handle_t)p, 2000) > -100000, "the unstarted ldc is killed");
    }
}

int main(int argc, char **argv)
{
    kt_init("boot");
    KT_EQ(kt_stat("kernel_upper_half"), 1, "kernel runs in the upper half");
    KT_EQ(kt_stat("kernel_wx_pages"), 0, "no kernel page is both writable and executable");
    long x = kt_stat("kernel_exec_pages");
    kt_report(x > 0 && x < 64, "only the kernel text is executable (a few pages)", "%ld pages", x);
    KT_EQ(kt_stat("sctlr_wxn"), 1, "SCTLR_EL1.WXN set: writable implies never-execute");
    KT_EQ(kt_stat("ram_mib"), 512, "RAM size from the device tree (QEMU -m 512M)");
    long gic = kt_stat("gic");
    KT_CHECK(gic == 2 || gic == 3, "GIC version from the device tree");
    long irqs = kt_stat("irqs");
    hm_sleep_until(hm_deadline_ms(20));   /* only a timer interrupt can end this sleep */
    KT_CHECK(kt_stat("irqs") > irqs, "timer interrupts arrive");
    KT_CHECK(argc >= 1 && !strcmp(argv[0], "kt_boot"), "argv[0] from the loader");
    KT_CHECK(hm_start_handle("console") >= 0 && hm_start_handle("bootimg") >= 0 && hm_start_handle("thread") >= 0,
             "startup block carries console, bootimg and thread handles");
    KT_EQ(hm_start_handle("nonexistent"), HM_HANDLE_INVALID, "unknown startup handle name");
    /* init passes the device tree on (to the device manager, later); it starts with the FDT magic */
    struct hm_mem_info mi;
    hm_handle_t dtb = hm_start_handle("dtb");
    long dva = dtb >= 0 && hm_mem_info(dtb, &mi) == 0 ? hm_vm_map(HM_HANDLE_SELF_PROC, dtb, 0, mi.size, 0, HM_MAP_R) : -1;
    KT_CHECK(dva > 0 && *(volatile uint32_t *)dva == 0xedfe0dd0, "device tree handed to user space (FDT magic)");
    struct hm_handle_info info;
    KT_EQ(hm_handle_info(HM_HANDLE_SELF_PROC, &info), 0, "handle 0 is the process itself");
    KT_EQ(info.type, HM_OBJ_PROC, "handle 0 type");
    /* the loader refuses what is not an AArch64 executable, and missing files */
    const char *av[] = { "boot.conf", NULL };
    KT_EQ(hm_spawn("boot.conf", av, NULL, 0, HM_HANDLE_INVALID, 1), -HM_EINVAL, "spawn of a non-ELF file refused");
    KT_EQ(hm_spawn("no-such-program", av, NULL, 0, HM_HANDLE_INVALID, 1), -HM_ERANGE, "spawn of a missing file refused");
    long before = kt_stat("procs_created"), as = kt_stat("as_switches");
    long p2 = kt_spawn("exit", "7", NULL, 0, HM_HANDLE_INVALID);
    KT_EQ(kt_wait((hm_handle_t)p2, 2000), 7, "a spawned program's exit status reaches its parent");
    KT_EQ(kt_stat("procs_created") - before, 1, "one process created");
    KT_CHECK(as >= 0 && kt_stat("as_switches") >= as + 2, "address-space switches counted (to the child and back)");
    shared_text();
    return kt_finish();
}
