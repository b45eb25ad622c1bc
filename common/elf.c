/* ELF64 parser (see hm/elf.h). */
#include <hm/elf.h>

#define EI_NIDENT 16
#define PT_LOAD 1
#define ET_EXEC 2
#define EM_AARCH64 183
#define PG ((uint64_t)HM_ELF_PAGE)

struct ehdr {
    unsigned char ident[EI_NIDENT];
    uint16_t type, machine;
    uint32_t version;
    uint64_t entry, phoff, shoff;
    uint32_t flags;
    uint16_t ehsize, phentsize, phnum, shentsize, shnum, shstrndx;
};
struct phdr {
    uint32_t type, flags;
    uint64_t offset, vaddr, paddr, filesz, memsz, align;
};

static void rd(void *dst, const void *src, size_t n)
{
    /* byte copy: the image may be unaligned and this file must not depend on libc */
    unsigned char *d = dst;
    const unsigned char *s = src;
    while (n--)
        *d++ = *s++;
}

int hm_elf_parse(const void *img, size_t size, uint64_t va_min, uint64_t va_max,
                 uint64_t *entry, struct hm_elf_seg *segs, int max_segs)
{
    struct ehdr eh;
    if (size < sizeof eh)
        return HM_ELF_ETRUNC;
    rd(&eh, img, sizeof eh);
    const unsigned char *id = eh.ident;
    if (id[0] != 0x7f || id[1] != 'E' || id[2] != 'L' || id[3] != 'F' || id[4] != 2 /* 64-bit */ ||
        id[5] != 1 /* LE */ || eh.type != ET_EXEC || eh.machine != EM_AARCH64 ||
        eh.phentsize != sizeof(struct phdr))
        return HM_ELF_EMAGIC;
    if (eh.phoff > size || (uint64_t)eh.phnum * sizeof(struct phdr) > size - eh.phoff)
        return HM_ELF_ETRUNC;
    int n = 0;
    int entry_ok = 0;
    for (unsigned i = 0; i < eh.phnum; i++) {
        struct phdr ph;
        rd(&ph, (const char *)img + eh.phoff + i * sizeof ph, sizeof ph);
        if (ph.type != PT_LOAD || ph.memsz == 0)
            continue;
        if (n >= max_segs)
            return HM_ELF_ESEG;
        if (ph.filesz > ph.memsz || ph.offset > size || ph.filesz > size - ph.offset)
            return ph.filesz > ph.memsz ? HM_ELF_ESEG : HM_ELF_ETRUNC;
        if ((ph.flags & HM_ELF_W) && (ph.flags & HM_ELF_X))
            return HM_ELF_EWX;
        if (ph.vaddr + ph.memsz < ph.vaddr || ph.vaddr < va_min || ph.vaddr + ph.memsz > va_max)
            return HM_ELF_ERANGE;
        struct hm_elf_seg *s = &segs[n];
        s->vaddr = ph.vaddr & ~(PG - 1);
        s->memsz = ((ph.vaddr + ph.memsz + PG - 1) & ~(PG - 1)) - s->vaddr;
        s->file_off = ph.offset;
        s->filesz = ph.filesz;
        s->copy_at = ph.vaddr - s->vaddr;
        s->flags = ph.flags & 7;
        for (int j = 0; j < n; j++)
            if (s->vaddr < segs[j].vaddr + segs[j].memsz && segs[j].vaddr < s->vaddr + s->memsz)
                return HM_ELF_ESEG;
        if ((ph.flags & HM_ELF_X) && eh.entry >= ph.vaddr && eh.entry < ph.vaddr + ph.memsz)
            entry_ok = 1;
        n++;
    }
    if (n == 0 || !entry_ok)
        return HM_ELF_ESEG;
    *entry = eh.entry;
    return n;
}

const char *hm_elf_strerror(int err)
{
    switch (err) {
    case HM_ELF_ETRUNC: return "truncated image";
    case HM_ELF_EMAGIC: return "not an AArch64 ELF64 executable";
    case HM_ELF_ESEG: return "bad or overlapping segments";
    case HM_ELF_EWX: return "segment both writable and executable";
    case HM_ELF_ERANGE: return "segment outside user space";
    default: return err >= 0 ? "ok" : "unknown error";
    }
}
