/* Memory objects and mappings: anonymous and contiguous (DMA) memory with
 * its physical address, device MMIO only through a resource that covers it,
 * W^X, bounds, rights, unmap. */
#include "ktest.h"
#include <string.h>

#define PL031_BASE 0x09010000ull   /* QEMU virt RTC */
#define UART_BASE  0x09000000ull   /* kernel console: never granted */

int main(void)
{
    kt_init("mem");
    hm_handle_t root = hm_start_handle("root");
    long m = hm_mem_create(3 * 4096, HM_MEM_ANON);
    KT_OK(m, "create anonymous object");
    long va = hm_vm_map(HM_HANDLE_SELF_PROC, (hm_handle_t)m, 0, 3 * 4096, 0, HM_MAP_R | HM_MAP_W);
    KT_OK(va, "map read-write");
    uint64_t *p = (uint64_t *)va;
    KT_CHECK(p[0] == 0 && p[1023] == 0 && p[3 * 512 - 1] == 0, "new memory is zeroed");
    p[0] = 0xabcd;
    long va2 = hm_vm_map(HM_HANDLE_SELF_PROC, (hm_handle_t)m, 0, 4096, 0, HM_MAP_R);
    KT_CHECK(va2 > 0 && *(uint64_t *)va2 == 0xabcd && va2 != va, "second mapping shares the pages");
    KT_EQ(hm_vm_map(HM_HANDLE_SELF_PROC, (hm_handle_t)m, 0, 4096, 0, HM_MAP_R | HM_MAP_W | HM_MAP_X), -HM_EINVAL, "W+X refused");
    KT_EQ(hm_vm_map(HM_HANDLE_SELF_PROC, (hm_handle_t)m, 4096, 3 * 4096, 0, HM_MAP_R), -HM_EINVAL, "range past the object refused");
    KT_EQ(hm_vm_map(HM_HANDLE_SELF_PROC, (hm_handle_t)m, 1, 4096, 0, HM_MAP_R), -HM_EINVAL, "unaligned offset refused");
    KT_EQ(hm_vm_map(HM_HANDLE_SELF_PROC, (hm_handle_t)m, 0, 4096, (uint64_t)va, HM_MAP_R), -HM_EBUSY, "overlapping mapping refused");
    KT_EQ(hm_vm_map(HM_HANDLE_SELF_PROC, (hm_handle_t)m, 0, 4096, 0xffff000000000000ull, HM_MAP_R), -HM_ERANGE, "kernel address refused");
    KT_EQ(hm_vm_map(HM_HANDLE_SELF_PROC, (hm_handle_t)m, 0, 4096, 0, 0), -HM_EINVAL, "no permissions refused");
    long ro = hm_handle_dup((hm_handle_t)m, HM_R_READ | HM_R_MAP, 0);
    KT_EQ(hm_vm_map(HM_HANDLE_SELF_PROC, (hm_handle_t)ro, 0, 4096, 0, HM_MAP_R | HM_MAP_W), -HM_EPERM, "writable map of read-only handle refused");
    long nomap = hm_handle_dup((hm_handle_t)m, HM_R_READ, 0);
    KT_EQ(hm_vm_map(HM_HANDLE_SELF_PROC, (hm_handle_t)nomap, 0, 4096, 0, HM_MAP_R), -HM_EPERM, "map without MAP right refused");
    KT_EQ(hm_vm_unmap(HM_HANDLE_SELF_PROC, (uint64_t)va2), 0, "unmap");
    KT_EQ(hm_vm_unmap(HM_HANDLE_SELF_PROC, (uint64_t)va2), -HM_EINVAL, "unmap twice refused");
    KT_EQ(hm_mem_create(0, HM_MEM_ANON), -HM_EINVAL, "zero size refused");
    KT_EQ(hm_mem_create(100, HM_MEM_ANON), -HM_EINVAL, "unaligned size refused");
    KT_EQ(hm_mem_create(1ull << 40, HM_MEM_ANON), -HM_EINVAL, "huge size refused");
    KT_EQ(hm_mem_create(4096, 7), -HM_EINVAL, "unknown kind refused");
    KT_EQ(hm_mem_create(4096, HM_MEM_DEVICE), -HM_EINVAL, "device kind needs a resource");

    /* contiguous memory reports a physical address inside RAM */
    long c = hm_mem_create(16 * 4096, HM_MEM_CONTIG);
    struct hm_mem_info info;
    KT_EQ(hm_mem_info((hm_handle_t)c, &info), 0, "contig info");
    kt_report(info.kind == HM_MEM_CONTIG && info.size == 16 * 4096 && info.phys >= 0x40000000 &&
              info.phys + info.size <= 0x60000000 && (info.phys & 4095) == 0,
              "contiguous object has a page-aligned physical address in RAM", "phys %lx", (unsigned long)info.phys);
    hm_mem_info((hm_handle_t)m, &info);
    KT_EQ(info.phys, 0, "anonymous object reports no physical address");
    KT_EQ(hm_mem_info((hm_handle_t)c, (struct hm_mem_info *)0x8), -HM_EFAULT, "info to a bad pointer");
    KT_EQ(hm_mem_info((hm_handle_t)c, (struct hm_mem_info *)(uintptr_t)main), -HM_EFAULT, "info to read-only text");

    /* device memory */
    long rtc = hm_mem_device(root, PL031_BASE, 4096);
    KT_OK(rtc, "device object for the RTC from the root resource");
    volatile uint32_t *regs = (volatile uint32_t *)hm_vm_map(HM_HANDLE_SELF_PROC, (hm_handle_t)rtc, 0, 4096, 0, HM_MAP_R | HM_MAP_W);
    KT_CHECK((long)regs > 0 && regs[0xfe0 / 4] == 0x31, "RTC registers readable through the mapping (PrimeCell id)");
    KT_EQ(hm_vm_map(HM_HANDLE_SELF_PROC, (hm_handle_t)rtc, 0, 4096, 0, HM_MAP_R | HM_MAP_X), -HM_EPERM, "device memory never executable");
    KT_EQ(hm_mem_device(root, UART_BASE, 4096), -HM_ERANGE, "kernel's UART refused");
    KT_EQ(hm_mem_device(root, 0x40000000, 4096), -HM_ERANGE, "RAM refused as device memory");
    KT_EQ(hm_mem_device(root, PL031_BASE + 1, 4096), -HM_EINVAL, "unaligned device range refused");
    long narrow = hm_resource_create(root, HM_RES_MMIO, PL031_BASE, 4096);
    KT_OK(narrow, "narrow MMIO resource");
    KT_OK(hm_mem_device((hm_handle_t)narrow, PL031_BASE, 4096), "device object inside the narrow resource");
    KT_EQ(hm_mem_device((hm_handle_t)narrow, 0x0a000000, 4096), -HM_ERANGE, "device object outside the resource refused");
    KT_EQ(hm_resource_create((hm_handle_t)narrow, HM_RES_MMIO, PL031_BASE, 8192), -HM_ERANGE, "wider resource from a narrow one refused");
    KT_EQ(hm_mem_device((hm_handle_t)m, PL031_BASE, 4096), -HM_ETYPE, "device object from a non-resource refused");
    long weak = hm_handle_dup((hm_handle_t)narrow, HM_R_GRANT, 0);
    KT_EQ(hm_mem_device((hm_handle_t)weak, PL031_BASE, 4096), -HM_EPERM, "resource without MANAGE refused");
    KT_EQ(hm_poweroff((hm_handle_t)narrow), -HM_EPERM, "power-off needs the root resource");

    /* mapping into another process needs MANAGE on it */
    long ep = hm_ep_create();
    struct hm_spawn_handle hs = { "ep", (hm_handle_t)ep, HM_R_RECV };
    long child = kt_spawn("server", NULL, &hs, 1, HM_HANDLE_INVALID);
    KT_OK(hm_vm_map((hm_handle_t)child, (hm_handle_t)m, 0, 4096, 0x30000000, HM_MAP_R), "map into a child");
    long weakp = hm_handle_dup((hm_handle_t)child, HM_R_READ, 0);
    KT_EQ(hm_vm_map((hm_handle_t)weakp, (hm_handle_t)m, 0, 4096, 0x31000000, HM_MAP_R), -HM_EPERM, "map into a process without MANAGE refused");
    hm_proc_kill((hm_handle_t)child);
    KT_EQ(hm_vm_map((hm_handle_t)child, (hm_handle_t)m, 0, 4096, 0x32000000, HM_MAP_R), -HM_ESTATE, "map into a dead process refused");
    return kt_finish();
}
