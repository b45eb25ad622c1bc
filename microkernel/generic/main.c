/* Kernel entry after the MMU is on: bring up memory, the final address
 * space, interrupts, time and the console; load init from the boot image;
 * start scheduling. */
#include <kernel/object.h>
#include <kernel/boot.h>
#include <kernel/plat.h>
#include <hm/elf.h>
#include <hm/bootimg.h>
#include <uapi/hm/startup.h>

extern char _text_start[], _kernel_end[];
extern void console_init(void);
extern struct resource *resource_new(uint32_t kind, uint64_t base, uint64_t size);

static void give(struct proc *p, struct hm_startup *st, const char *name, struct kobj *o, uint32_t rights)
{
    int32_t h = handle_install(p, o, rights, 0);
    if (h < 0 || st->nhandles >= HM_START_MAX_HANDLES)
        panic("cannot give init its handles");
    struct hm_start_handle *sh = &st->handles[st->nhandles++];
    memcpy(sh->name, name, strlen(name) + 1);
    sh->h = h;
}

/* map a fresh anonymous object at va in p, copying src into it at off */
static void load_segment(struct proc *p, uint64_t va, uint64_t size, const void *src, uint64_t off,
                         uint64_t len, uint32_t perms)
{
    int err;
    struct memobj *m = memobj_create(HM_MEM_ANON, size, 0, p->quota, &err);
    if (!m)
        panic("no memory to load init");
    for (uint64_t done = 0; done < len; ) {
        uint64_t at = off + done;
        uint64_t chunk = PAGE_SIZE - (at & (PAGE_SIZE - 1));
        if (chunk > len - done)
            chunk = len - done;
        memcpy((char *)phys_to_virt(memobj_page(m, at)) + (at & (PAGE_SIZE - 1)), (const char *)src + done, chunk);
        done += chunk;
    }
    if ((err = vm_map(&p->vs, m, 0, size, &va, perms)))
        panic("cannot map init (%d)", err);
    obj_unref(&m->o);
}

static void load_init(void)
{
    const struct boot_info *bi = &boot_info;
    if (!bi->initrd_size)
        panic("no boot image (QEMU -initrd) was given");
    if (bi->initrd_pa & (PAGE_SIZE - 1))
        panic("boot image is not page aligned");
    const void *img = phys_to_virt(bi->initrd_pa);
    const void *elf;
    size_t elf_len;
    if (hm_bootimg_check(img, bi->initrd_size) || hm_bootimg_find(img, "init", &elf, &elf_len))
        panic("boot image has no init");
    struct hm_elf_seg segs[HM_ELF_MAX_SEGS];
    uint64_t entry;
    int n = hm_elf_parse(elf, elf_len, HM_USER_VA_MIN, HM_USER_IMAGE_END, &entry, segs, HM_ELF_MAX_SEGS);
    if (n < 0)
        panic("init: %s", hm_elf_strerror(n));

    int err;
    struct proc *p = proc_create("init", 4, NULL, 0, &quota_root, NULL, &err);
    if (!p)
        panic("cannot create init (%d)", err);
    for (int i = 0; i < n; i++) {
        uint32_t perms = ((segs[i].flags & HM_ELF_R) ? HM_MAP_R : 0) | ((segs[i].flags & HM_ELF_W) ? HM_MAP_W : 0) |
                         ((segs[i].flags & HM_ELF_X) ? HM_MAP_X : 0) | HM_MAP_R;
        load_segment(p, segs[i].vaddr, segs[i].memsz, (const char *)elf + segs[i].file_off, segs[i].copy_at,
                     segs[i].filesz, perms);
    }

    /* stack with the startup block on top: argv is "init" and the words of
     * the kernel command line (QEMU -append) */
    struct hm_startup st = { .magic = HM_STARTUP_MAGIC };
    char strings[512];
    uint64_t argv[HM_START_MAX_HANDLES + 1];
    size_t slen = 0;
    const char *args = bi->bootargs ? bi->bootargs : "";
    uint64_t blk_size = sizeof st + sizeof argv + sizeof strings;
    uint64_t st_va = HM_USER_STACK_TOP - ALIGN_UP(blk_size, 16);
    uint64_t argv_va = st_va + sizeof st, str_va = argv_va + sizeof argv;
    memcpy(strings, "init", 5);
    argv[st.argc++] = str_va;
    slen = 5;
    while (*args && st.argc < HM_START_MAX_HANDLES) {
        while (*args == ' ')
            args++;
        size_t n = 0;
        while (args[n] && args[n] != ' ')
            n++;
        if (!n || slen + n + 1 > sizeof strings)
            break;
        memcpy(strings + slen, args, n);
        strings[slen + n] = 0;
        argv[st.argc++] = str_va + slen;
        slen += n + 1;
        args += n;
    }
    argv[st.argc] = 0;
    st.argv = argv_va;
    struct thread *t = thread_create(p, entry, st_va - 64, st_va, HM_PRIO_MAX - 1, &err);
    if (!t)
        panic("cannot create init's thread");
    give(p, &st, "thread", &t->o, HM_R_MANAGE | HM_R_GRANT | HM_R_DUP);
    struct memobj *bm = memobj_create(HM_MEM_CONTIG, ALIGN_UP(bi->initrd_size, PAGE_SIZE), bi->initrd_pa, NULL, &err);
    struct resource *root = resource_new(HM_RES_ROOT, 0, 0);
    if (!bm || !root)
        panic("no memory for init's handles");
    /* executable: program loaders map read-only segments straight from it */
    give(p, &st, "bootimg", &bm->o, HM_R_READ | HM_R_EXEC | HM_R_MAP | HM_R_GRANT | HM_R_DUP);
    give(p, &st, "root", &root->o, HM_R_ALL);
    give(p, &st, "console", &the_console.o, HM_R_READ | HM_R_WRITE | HM_R_GRANT | HM_R_DUP);
    /* the device tree, copied to page-aligned memory of its own: the device
     * manager reads the board from it (read-only for init and its children) */
    struct memobj *dm = memobj_create(HM_MEM_ANON, ALIGN_UP(bi->dtb_size, PAGE_SIZE), 0, p->quota, &err);
    if (!dm)
        panic("no memory for the device tree copy");
    for (uint64_t off = 0; off < bi->dtb_size; off += PAGE_SIZE)
        memcpy(phys_to_virt(memobj_page(dm, off)), (const char *)phys_to_virt(bi->dtb_pa) + off,
               bi->dtb_size - off < PAGE_SIZE ? bi->dtb_size - off : PAGE_SIZE);
    give(p, &st, "dtb", &dm->o, HM_R_READ | HM_R_MAP | HM_R_GRANT | HM_R_DUP);
    obj_unref(&dm->o);
    obj_unref(&bm->o);
    obj_unref(&root->o);
    struct memobj *sm = memobj_create(HM_MEM_ANON, HM_STACK_SIZE, 0, p->quota, &err);
    uint64_t sva = HM_USER_STACK_TOP - HM_STACK_SIZE;
    if (!sm || vm_map(&p->vs, sm, 0, HM_STACK_SIZE, &sva, HM_MAP_R | HM_MAP_W))
        panic("cannot map init's stack");
    obj_unref(&sm->o);
    if (copy_to_user(&p->vs, st_va, &st, sizeof st) || copy_to_user(&p->vs, argv_va, argv, sizeof argv) ||
        copy_to_user(&p->vs, str_va, strings, slen))
        panic("cannot write init's startup block");
    obj_unref(&p->o);   /* init lives through its threads */
    sched_ready(t);
}

void kmain(uint64_t dtb_pa)
{
    kprintf("\nhm microkernel (aarch64, qemu-virt)\n");
    struct boot_info *bi = &boot_info;
    bi->dtb_pa = dtb_pa;
    fdt_scan(phys_to_virt(dtb_pa), bi);
    kmem_init(bi->ram_base, bi->ram_size);
    kmem_reserve(bi->ram_base, ALIGN_UP(virt_to_phys(_kernel_end), PAGE_SIZE) - bi->ram_base);
    kmem_reserve(dtb_pa, bi->dtb_size);
    if (bi->initrd_size)
        kmem_reserve(bi->initrd_pa, bi->initrd_size);
    mmu_init_kernel();
    plat_init(phys_to_virt(dtb_pa));
    gic_init();
    msi_init();
    timer_hw_init();
    timer_backstop();   /* arms it */
    console_init();
    gic_enable(plat_uart_irq);
    pmu_init();
    kprintf("hm: %lu MiB RAM at %lx, GICv%d, timer %lu Hz, boot image %lu KiB, %lu pages free\n",
            bi->ram_size >> 20, bi->ram_base, gic_version(), time_freq, bi->initrd_size >> 10,
            (uint64_t)page_free_count());
    sched_init();
    load_init();
    sched_start();
}
