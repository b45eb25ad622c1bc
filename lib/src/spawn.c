/* Loading programs from the boot image into new processes. The kernel only
 * loads init; everything else is loaded here, in user space: a read-only
 * ELF segment whose bytes fill whole pages of the boot image is mapped from
 * it (every instance of a program shares its text and read-only data: a
 * driver container's 3 MiB of Linux code is neither copied nor allocated
 * again at each restart); any other segment is copied into a fresh memory
 * object through a temporary mapping in the loader, then mapped into the
 * child with the segment's permissions. */
#include <hm/hm.h>
#include <hm/elf.h>
#include <hm/bootimg.h>
#include <string.h>

static const void *bootimg;
static size_t bootimg_size;
static hm_handle_t bootimg_h = HM_HANDLE_INVALID;

const void *hm_bootimg(size_t *size)
{
    if (!bootimg) {
        hm_handle_t h = hm_start_handle("bootimg");
        struct hm_mem_info info;
        if (h < 0 || hm_mem_info(h, &info) < 0)
            return NULL;
        long va = hm_vm_map(HM_HANDLE_SELF_PROC, h, 0, info.size, 0, HM_MAP_R);
        if (va < 0 || hm_bootimg_check((const void *)va, info.size))
            return NULL;
        bootimg = (const void *)va;
        bootimg_size = info.size;
        bootimg_h = h;
    }
    if (size)
        *size = bootimg_size;
    return bootimg;
}

/*
 * A read-only segment straight from the boot image: its bytes start on a
 * page of the image and its pages end inside the ELF file (the last page's
 * tail is more of the same file, where a copy would have zeros: nothing a
 * program reads). 1: mapped; 0: not such a segment, or the boot image
 * handle may not map it so (no HM_R_EXEC), so copy it.
 */
static int map_seg(hm_handle_t p, const struct hm_elf_seg *s, const char *elf, size_t elf_len)
{
    uint64_t off = (uint64_t)(elf - (const char *)bootimg) + s->file_off;
    if ((s->flags & HM_ELF_W) || s->copy_at || (off & (HM_ELF_PAGE - 1)) || s->filesz + HM_ELF_PAGE <= s->memsz ||
        s->file_off + s->memsz > elf_len || bootimg_h < 0)
        return 0;
    uint32_t perms = HM_MAP_R | ((s->flags & HM_ELF_X) ? HM_MAP_X : 0);
    return hm_vm_map(p, bootimg_h, off, s->memsz, s->vaddr, perms) >= 0;
}

/* fill a new memory object through a temporary mapping here, then map it in p */
static long load_seg(hm_handle_t p, const struct hm_elf_seg *s, const char *elf, size_t elf_len)
{
    if (map_seg(p, s, elf, elf_len))
        return 0;
    long m = hm_mem_create(s->memsz, HM_MEM_ANON);
    if (m < 0)
        return m;
    long va = hm_vm_map(HM_HANDLE_SELF_PROC, (hm_handle_t)m, 0, s->memsz, 0, HM_MAP_R | HM_MAP_W);
    if (va < 0) {
        hm_handle_close((hm_handle_t)m);
        return va;
    }
    memcpy((char *)va + s->copy_at, elf + s->file_off, s->filesz);
    hm_vm_unmap(HM_HANDLE_SELF_PROC, (uint64_t)va);
    uint32_t perms = HM_MAP_R | ((s->flags & HM_ELF_W) ? HM_MAP_W : 0) | ((s->flags & HM_ELF_X) ? HM_MAP_X : 0);
    long r = hm_vm_map(p, (hm_handle_t)m, 0, s->memsz, s->vaddr, perms);
    hm_handle_close((hm_handle_t)m);
    return r < 0 ? r : 0;
}

static long fail(hm_handle_t p, long err)
{
    hm_proc_kill(p);
    hm_handle_close(p);
    return err;
}

long hm_spawn(const char *name, const char *const *argv, const struct hm_spawn_handle *hs, int nh,
              hm_handle_t sup, int prio)
{
    return hm_spawn_limited(name, argv, hs, nh, sup, prio, NULL);
}

long hm_spawn_limited(const char *name, const char *const *argv, const struct hm_spawn_handle *hs, int nh,
                      hm_handle_t sup, int prio, const uint64_t *limit)
{
    const void *img = hm_bootimg(NULL);
    const void *elf;
    size_t elf_len;
    if (!img)
        return -HM_EBADH;
    if (hm_bootimg_find(img, name, &elf, &elf_len))
        return -HM_ERANGE;
    struct hm_elf_seg segs[HM_ELF_MAX_SEGS];
    uint64_t entry;
    int n = hm_elf_parse(elf, elf_len, HM_USER_VA_MIN, HM_USER_IMAGE_END, &entry, segs, HM_ELF_MAX_SEGS);
    if (n < 0)
        return -HM_EINVAL;
    if (nh < 0 || nh > HM_START_MAX_HANDLES - 2)
        return -HM_EINVAL;

    long p = hm_proc_create_limited(name, strlen(name), sup, limit);
    if (p < 0)
        return p;
    for (int i = 0; i < n; i++) {
        long r = load_seg((hm_handle_t)p, &segs[i], elf, elf_len);
        if (r < 0)
            return fail((hm_handle_t)p, r);
    }

    /* stack and startup block: built here, then moved to the child */
    hm_handle_t stack_mem;
    char *stack = hm_alloc_pages(HM_STACK_SIZE, &stack_mem);
    if (!stack)
        return fail((hm_handle_t)p, -HM_ENOMEM);
    uint64_t child_base = HM_USER_STACK_TOP - HM_STACK_SIZE;
    int argc = 0;
    size_t strbytes = 0;
    for (; argv && argv[argc]; argc++)
        strbytes += strlen(argv[argc]) + 1;
    size_t blk = sizeof(struct hm_startup) + (argc + 1) * sizeof(uint64_t) + strbytes;
    blk = (blk + 15) & ~(size_t)15;
    long err = 0;
    if (blk > HM_STACK_SIZE / 2)
        err = -HM_EINVAL;
    size_t st_off = HM_STACK_SIZE - blk;
    struct hm_startup *st = (struct hm_startup *)(stack + st_off);
    uint64_t *av = (uint64_t *)(st + 1);
    char *strs = (char *)(av + argc + 1);
    st->magic = HM_STARTUP_MAGIC;
    st->argc = (uint32_t)argc;
    st->argv = child_base + st_off + sizeof *st;
    for (int i = 0; !err && i < argc; i++) {
        size_t l = strlen(argv[i]) + 1;
        memcpy(strs, argv[i], l);
        av[i] = child_base + (uint64_t)(strs - stack);
        strs += l;
    }
    av[argc] = 0;
    struct hm_spawn_handle all[HM_START_MAX_HANDLES];
    int na = 0;
    if (hm_console >= 0)
        all[na++] = (struct hm_spawn_handle){ "console", hm_console, HM_R_READ | HM_R_WRITE | HM_R_GRANT | HM_R_DUP };
    for (int i = 0; i < nh; i++)
        all[na++] = hs[i];
    for (int i = 0; !err && i < na; i++) {
        long h = hm_handle_give((hm_handle_t)p, all[i].h, all[i].rights);
        if (h < 0) {
            err = h;
            break;
        }
        strncpy(st->handles[st->nhandles].name, all[i].name, HM_START_NAME - 1);
        st->handles[st->nhandles++].h = (hm_handle_t)h;
    }
    uint64_t sp = child_base + st_off - 64;
    long th = err ? err : hm_thread_create((hm_handle_t)p, (void *)entry, (void *)sp, (long)(child_base + st_off), prio);
    if (th >= 0) {
        long h = hm_handle_give((hm_handle_t)p, (hm_handle_t)th, HM_R_MANAGE | HM_R_DUP);
        if (h >= 0) {
            strncpy(st->handles[st->nhandles].name, "thread", HM_START_NAME - 1);
            st->handles[st->nhandles++].h = (hm_handle_t)h;
        }
    } else {
        err = th;
    }
    hm_vm_unmap(HM_HANDLE_SELF_PROC, (uint64_t)stack);
    if (!err)
        err = hm_vm_map((hm_handle_t)p, stack_mem, 0, HM_STACK_SIZE, child_base, HM_MAP_R | HM_MAP_W);
    hm_handle_close(stack_mem);
    if (err < 0) {
        if (th >= 0)
            hm_handle_close((hm_handle_t)th);
        return fail((hm_handle_t)p, err);
    }
    hm_thread_resume((hm_handle_t)th);
    hm_handle_close((hm_handle_t)th);
    return p;
}
