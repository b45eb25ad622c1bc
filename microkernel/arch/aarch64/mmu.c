/*
 * AArch64 translation tables (4 KiB granule, 48-bit VA, 4 levels).
 * Kernel: TTBR1 maps all RAM at KERNEL_VBASE + pa, read-write and never
 * executable, except the kernel image, mapped page by page as text (RX),
 * rodata (R) and data (RW); SCTLR.WXN also forbids executing anything
 * writable. Devices the kernel drives are mapped as Device-nGnRE.
 * Users: one TTBR0 table tree per process, tagged with a 16-bit ASID.
 */
#include <kernel/kernel.h>
#include <kernel/vm.h>
#include <kernel/boot.h>

extern char _text_start[], _text_end[], _rodata_start[], _rodata_end[], _data_start[], _kernel_end[];

static uint64_t kernel_l0_pa;
static uint64_t empty_l0_pa;
static uint8_t asid_map[65536 / 8];
static uint32_t asid_next = 1;

static inline uint64_t *table_va(uint64_t pa) { return phys_to_virt(pa); }

static inline void tlbi_all(void) { __asm__ volatile("dsb ishst; tlbi vmalle1is; dsb ish; isb" ::: "memory"); }

/* walk to the level-3 entry of va, creating tables if asked */
static uint64_t *walk(uint64_t root_pa, uint64_t va, bool create, struct vspace *vs)
{
    uint64_t *t = table_va(root_pa);
    for (int level = 0; level < 3; level++) {
        unsigned idx = (va >> (39 - 9 * level)) & 511;
        uint64_t e = t[idx];
        if (!(e & PTE_VALID)) {
            if (!create)
                return NULL;
            /* a user table page is charged to the process (quota.c) */
            uint64_t pa = vs ? vs_table_alloc(vs) : page_alloc(1, 1);
            if (!pa)
                return NULL;
            e = pa | PTE_TABLE;
            __asm__ volatile("dsb ishst" ::: "memory");
            t[idx] = e;
        } else if ((e & 3) != PTE_TABLE) {
            return NULL;   /* a block mapping: not walked further */
        }
        t = table_va(e & PTE_ADDR_MASK);
    }
    return &t[(va >> 12) & 511];
}

/* kernel mapping of [pa, pa+size) at KERNEL_VBASE + pa */
static void kmap(uint64_t pa, uint64_t size, uint64_t attrs)
{
    for (uint64_t off = 0; off < size; ) {
        uint64_t va = KERNEL_VBASE + pa + off;
        uint64_t *l0 = table_va(kernel_l0_pa);
        /* 2 MiB blocks where possible (RAM outside the kernel image) */
        if (((pa + off) & 0x1fffff) == 0 && size - off >= 0x200000 && !(attrs & (1ull << 63))) {
            uint64_t *t = l0;
            for (int level = 0; level < 2; level++) {
                unsigned idx = (va >> (39 - 9 * level)) & 511;
                if (!(t[idx] & PTE_VALID)) {
                    uint64_t np = page_alloc(1, 1);
                    if (!np)
                        panic("out of memory building kernel tables");
                    t[idx] = np | PTE_TABLE;
                }
                t = table_va(t[idx] & PTE_ADDR_MASK);
            }
            t[(va >> 21) & 511] = (pa + off) | PTE_BLOCK | attrs;
            off += 0x200000;
            continue;
        }
        uint64_t *e = walk(kernel_l0_pa, va, true, NULL);
        if (!e)
            panic("out of memory building kernel tables");
        *e = (pa + off) | PTE_PAGE | (attrs & ~(1ull << 63));
        off += PAGE_SIZE;
    }
}

#define K_RW   (PTE_AF | PTE_SH_INNER | PTE_ATTR(MT_NORMAL) | PTE_PXN | PTE_UXN)
#define K_RO   (K_RW | PTE_AP_RO)
#define K_RX   (PTE_AF | PTE_SH_INNER | PTE_ATTR(MT_NORMAL) | PTE_AP_RO | PTE_UXN)
#define K_DEV  (PTE_AF | PTE_ATTR(MT_DEVICE) | PTE_PXN | PTE_UXN)
#define FORCE_PAGES (1ull << 63)   /* software flag: map this range page by page */

void kmap_device(uint64_t pa, uint64_t size)
{
    kmap(ALIGN_DOWN(pa, PAGE_SIZE), ALIGN_UP(size + (pa & (PAGE_SIZE - 1)), PAGE_SIZE), K_DEV | FORCE_PAGES);
}

void mmu_init_kernel(void)
{
    const struct boot_info *bi = &boot_info;
    kernel_l0_pa = page_alloc(1, 1);
    empty_l0_pa = page_alloc(1, 1);
    if (!kernel_l0_pa || !empty_l0_pa)
        panic("out of memory for kernel tables");
    uint64_t kstart = virt_to_phys(_text_start), kend = ALIGN_UP(virt_to_phys(_kernel_end), PAGE_SIZE);
    uint64_t blk_lo = ALIGN_DOWN(kstart, 0x200000), blk_hi = ALIGN_UP(kend, 0x200000);
    /* RAM around the kernel image in 2 MiB blocks; the image's 2 MiB region(s) page by page */
    if (blk_lo > bi->ram_base)
        kmap(bi->ram_base, blk_lo - bi->ram_base, K_RW);
    if (bi->ram_base + bi->ram_size > blk_hi)
        kmap(blk_hi, bi->ram_base + bi->ram_size - blk_hi, K_RW);
    if (kstart > blk_lo)
        kmap(blk_lo, kstart - blk_lo, K_RW | FORCE_PAGES);
    kmap(virt_to_phys(_text_start), (uint64_t)(_text_end - _text_start), K_RX | FORCE_PAGES);
    kmap(virt_to_phys(_rodata_start), (uint64_t)(_rodata_end - _rodata_start), K_RO | FORCE_PAGES);
    kmap(virt_to_phys(_data_start), kend - virt_to_phys(_data_start), K_RW | FORCE_PAGES);
    if (blk_hi > kend)
        kmap(kend, blk_hi - kend, K_RW | FORCE_PAGES);
    kmap_device(bi->uart_pa, bi->uart_size);

    uint64_t mmfr0;
    __asm__ volatile("mrs %0, id_aa64mmfr0_el1" : "=r"(mmfr0));
    if (((mmfr0 >> 4) & 0xf) != 2)
        panic("CPU lacks 16-bit ASIDs");
    __asm__ volatile("dsb ishst; msr ttbr1_el1, %0; msr ttbr0_el1, %1; isb" :: "r"(kernel_l0_pa), "r"(empty_l0_pa));
    tlbi_all();
    __asm__ volatile("msr sctlr_el1, %0; isb" :: "r"((uint64_t)SCTLR_VALUE));
    tlbi_all();
    asid_map[0] = 1;   /* ASID 0: no user space */
}

int vs_init(struct vspace *vs)
{
    for (uint32_t n = 0; n < 65536; n++) {
        uint32_t a = (asid_next + n) & 0xffff;
        if (a == 0 || (asid_map[a / 8] & (1 << (a % 8))))
            continue;
        vs->l0_pa = vs_table_alloc(vs);
        if (!vs->l0_pa)
            return -HM_ENOMEM;
        asid_map[a / 8] |= 1 << (a % 8);
        asid_next = a + 1;
        vs->asid = (uint16_t)a;
        vs->ttbr = vs->l0_pa | ((uint64_t)a << 48);
        list_init(&vs->maps);
        vs->nmaps = 0;
        return 0;
    }
    return -HM_ENOSPC;
}

static void free_level(uint64_t pa, int level)
{
    uint64_t *t = table_va(pa);
    if (level < 3)
        for (int i = 0; i < 512; i++)
            if ((t[i] & 3) == PTE_TABLE)
                free_level(t[i] & PTE_ADDR_MASK, level + 1);
    page_free(pa, 1);
}

void vs_destroy_tables(struct vspace *vs)
{
    if (!vs->l0_pa)
        return;
    uint64_t cur;
    __asm__ volatile("mrs %0, ttbr0_el1" : "=r"(cur));
    if ((cur & PTE_ADDR_MASK) == vs->l0_pa)
        vs_activate(NULL);
    __asm__ volatile("dsb ishst; tlbi aside1is, %0; dsb ish; isb" :: "r"((uint64_t)vs->asid << 48) : "memory");
    free_level(vs->l0_pa, 0);
    vs_tables_freed(vs);
    asid_map[vs->asid / 8] &= ~(1 << (vs->asid % 8));
    vs->l0_pa = 0;
}

/* n pages from va, page i at pa_of(ctx, i): one table walk per
 * last-level table (512 pages), not one per page, and one barrier at the
 * end: a PCI host's 256 MiB ECAM window is 65,536 pages, mapped at each
 * start of its container (about 8 ms under TCG page by page). Only
 * invalid entries are written (vm_map checked the range is free), so no
 * TLB entry can be stale. 0, or -HM_ENOMEM with nothing left mapped. */
int vs_map_pages(struct vspace *vs, uint64_t va, uint64_t n, uint64_t (*pa_of)(const void *ctx, uint64_t i),
                 const void *ctx, uint32_t perms, bool device)
{
    uint64_t attrs = PTE_PAGE | PTE_AF | PTE_NG | PTE_AP_EL0 | PTE_PXN;
    attrs |= device ? PTE_ATTR(MT_DEVICE) : (PTE_ATTR(MT_NORMAL) | PTE_SH_INNER);
    if (!(perms & HM_MAP_W))
        attrs |= PTE_AP_RO;
    if (!(perms & HM_MAP_X) || device)
        attrs |= PTE_UXN;
    uint64_t *e = NULL;
    for (uint64_t i = 0; i < n; i++, e++) {
        uint64_t v = va + i * PAGE_SIZE;
        if (!e || !(v & (512ull * PAGE_SIZE - 1))) {
            e = walk(vs->l0_pa, v, true, vs);
            if (!e) {
                __asm__ volatile("dsb ishst" ::: "memory");
                while (i--)
                    vs_unmap_page(vs, va + i * PAGE_SIZE);
                return -HM_ENOMEM;
            }
        }
        *e = pa_of(ctx, i) | attrs;
    }
    __asm__ volatile("dsb ishst" ::: "memory");
    return 0;
}

void vs_unmap_page(struct vspace *vs, uint64_t va)
{
    uint64_t *e = walk(vs->l0_pa, va, false, NULL);
    if (!e || !(*e & PTE_VALID))
        return;
    *e = 0;
    __asm__ volatile("dsb ishst; tlbi vae1is, %0; dsb ish; isb"
                     :: "r"(((uint64_t)vs->asid << 48) | ((va >> 12) & 0xfffffffffffull)) : "memory");
}

bool vs_lookup(struct vspace *vs, uint64_t va, bool write, uint64_t *pa)
{
    if (va >= HM_USER_VA_MAX || !vs->l0_pa)
        return false;
    uint64_t *e = walk(vs->l0_pa, va, false, NULL);
    if (!e || (*e & 3) != PTE_PAGE || !(*e & PTE_AP_EL0))
        return false;
    if (write && (*e & PTE_AP_RO))
        return false;
    if ((*e & (7 << 2)) == PTE_ATTR(MT_DEVICE))
        return false;   /* the kernel never copies to or from device memory */
    *pa = (*e & PTE_ADDR_MASK) | (va & (PAGE_SIZE - 1));
    return true;
}

void vs_activate(struct vspace *vs)
{
    vs_set_ttbr(vs ? vs->ttbr : empty_l0_pa);
}

/* Boot self-check of the final kernel tables: count valid leaf entries that
 * are both writable at EL1 and executable at EL1 (must be 0), and pages
 * mapped executable for EL1 at all (the kernel text). The numbers are
 * reported through hm_klog_stats so a test can hold the kernel to W^X. */
static void wx_walk(uint64_t table_pa, int level, uint64_t *viol, uint64_t *exec_pages)
{
    uint64_t *t = table_va(table_pa);
    for (int i = 0; i < 512; i++) {
        uint64_t e = t[i];
        if (!(e & PTE_VALID))
            continue;
        if (level < 3 && (e & 3) == PTE_TABLE) {
            wx_walk(e & PTE_ADDR_MASK, level + 1, viol, exec_pages);
            continue;
        }
        uint64_t pages = level == 3 ? 1 : level == 2 ? 512 : 512 * 512;
        bool writable = !(e & PTE_AP_RO), exec = !(e & PTE_PXN);
        if (writable && exec)
            *viol += pages;
        if (exec)
            *exec_pages += pages;
    }
}

void mmu_wx_stats(uint64_t *violations, uint64_t *exec_pages)
{
    *violations = *exec_pages = 0;
    wx_walk(kernel_l0_pa, 0, violations, exec_pages);
}
