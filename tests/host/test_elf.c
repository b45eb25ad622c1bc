/* Host unit tests for the ELF64 AArch64 executable parser (lib/src/elf.c).
 * Images are built in memory from hand-written header structs. */
#define TAP_MODULE "elf"
#include "tap.h"

#include <hm/elf.h>
#include <stdint.h>

/* ELF64 headers, laid out as in the ELF specification */
struct ehdr {
    unsigned char ident[16];
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
_Static_assert(sizeof(struct ehdr) == 64, "Elf64_Ehdr is 64 bytes");
_Static_assert(sizeof(struct phdr) == 56, "Elf64_Phdr is 56 bytes");

#define PT_NULL 0
#define PT_LOAD 1
#define PT_NOTE 4
#define PT_GNU_STACK 0x6474e551u
#define ET_REL 1
#define ET_EXEC 2
#define ET_DYN 3
#define EM_X86_64 62
#define EM_AARCH64 183
#define R HM_ELF_R
#define W HM_ELF_W
#define X HM_ELF_X

#define VA_MIN 0x1000ull
#define VA_MAX 0x0000001000000000ull
#define IMG_SIZE 0x3000u
#define TEXT_VA 0x400000ull
#define DATA_VA 0x401010ull
#define ENTRY (TEXT_VA + 0x10)

static union {
    unsigned char b[IMG_SIZE];
    uint64_t align;
} img;

static struct ehdr *E(void) { return (struct ehdr *)img.b; }
/* program header i, wherever phoff points (kept 8-byte aligned by the tests
 * that access it through this pointer) */
static struct phdr *P(int i) { return (struct phdr *)(img.b + E()->phoff) + i; }

static void set_seg(int i, uint32_t type, uint32_t flags, uint64_t off, uint64_t va,
                    uint64_t filesz, uint64_t memsz)
{
    struct phdr *p = P(i);
    memset(p, 0, sizeof *p);
    p->type = type;
    p->flags = flags;
    p->offset = off;
    p->vaddr = p->paddr = va;
    p->filesz = filesz;
    p->memsz = memsz;
    p->align = 0x1000;
}

/* the standard image: text (R+X) at 0x400000 from file offset 0x1000, data
 * (R+W, unaligned start, mostly bss) at 0x401010 from file offset 0x2010, and
 * a PT_GNU_STACK header the parser must skip; 0x3000 bytes in all */
static void build(void)
{
    memset(img.b, 0, sizeof img.b);
    struct ehdr *e = E();
    memcpy(e->ident, "\x7f" "ELF", 4);
    e->ident[4] = 2;  /* ELFCLASS64 */
    e->ident[5] = 1;  /* ELFDATA2LSB */
    e->ident[6] = 1;  /* EV_CURRENT */
    e->type = ET_EXEC;
    e->machine = EM_AARCH64;
    e->version = 1;
    e->entry = ENTRY;
    e->phoff = sizeof(struct ehdr);
    e->ehsize = sizeof(struct ehdr);
    e->phentsize = sizeof(struct phdr);
    e->phnum = 3;
    set_seg(0, PT_LOAD, R | X, 0x1000, TEXT_VA, 0x180, 0x180);
    set_seg(1, PT_LOAD, R | W, 0x2010, DATA_VA, 0x30, 0x1ff0);
    set_seg(2, PT_GNU_STACK, R | W | X, 0, 0, 0, 0);
    for (unsigned i = 0x1000; i < IMG_SIZE; i++)
        img.b[i] = (unsigned char)i;
}

static struct hm_elf_seg segs[HM_ELF_MAX_SEGS + 1];
static uint64_t entry;

static int parse_n(size_t size, int max_segs)
{
    memset(segs, 0xee, sizeof segs);
    entry = 0x1111;
    return hm_elf_parse(img.b, size, VA_MIN, VA_MAX, &entry, segs, max_segs);
}
static int parse(void) { return parse_n(IMG_SIZE, HM_ELF_MAX_SEGS); }

static void t_valid(void)
{
    build();
    CHECK_EQ(parse(), 2);
    CHECK_EQ(entry, ENTRY);
    CHECK_EQ(segs[0].vaddr, TEXT_VA);
    CHECK_EQ(segs[0].memsz, 0x1000);
    CHECK_EQ(segs[0].file_off, 0x1000);
    CHECK_EQ(segs[0].filesz, 0x180);
    CHECK_EQ(segs[0].copy_at, 0);
    CHECK_EQ(segs[0].flags, R | X);
    CHECK_EQ(segs[1].vaddr, 0x401000);     /* page-aligned down */
    CHECK_EQ(segs[1].memsz, 0x2000);       /* 0x401010 + 0x1ff0 = 0x403000 */
    CHECK_EQ(segs[1].file_off, 0x2010);
    CHECK_EQ(segs[1].filesz, 0x30);
    CHECK_EQ(segs[1].copy_at, 0x10);
    CHECK_EQ(segs[1].flags, R | W);
    CHECK_EQ(segs[2].vaddr, 0xeeeeeeeeeeeeeeeeull); /* nothing written past n */
    /* exactly enough room for the two segments */
    CHECK_EQ(parse_n(IMG_SIZE, 2), 2);
    /* image ending exactly at the end of the data segment's file bytes */
    CHECK_EQ(parse_n(0x2010 + 0x30, HM_ELF_MAX_SEGS), 2);
    /* flag bits beyond R/W/X are dropped */
    build();
    P(0)->flags = R | X | 0x00f00000;
    CHECK_EQ(parse(), 2);
    CHECK_EQ(segs[0].flags, R | X);
    CHECK_STR_EQ(hm_elf_strerror(2), "ok");
}

static void t_truncated(void)
{
    build();
    CHECK_EQ(parse_n(0, HM_ELF_MAX_SEGS), HM_ELF_ETRUNC);
    CHECK_EQ(parse_n(sizeof(struct ehdr) - 1, HM_ELF_MAX_SEGS), HM_ELF_ETRUNC);
    /* header present, program headers cut off */
    CHECK_EQ(parse_n(sizeof(struct ehdr), HM_ELF_MAX_SEGS), HM_ELF_ETRUNC);
    CHECK_EQ(parse_n(sizeof(struct ehdr) + 3 * sizeof(struct phdr) - 1, HM_ELF_MAX_SEGS), HM_ELF_ETRUNC);
    /* program headers present, segment bytes cut off */
    CHECK_EQ(parse_n(sizeof(struct ehdr) + 3 * sizeof(struct phdr), HM_ELF_MAX_SEGS), HM_ELF_ETRUNC);
    CHECK_EQ(parse_n(0x1000 + 0x17f, HM_ELF_MAX_SEGS), HM_ELF_ETRUNC);
    CHECK_EQ(parse_n(0x2010 + 0x2f, HM_ELF_MAX_SEGS), HM_ELF_ETRUNC);
    CHECK_EQ(entry, 0x1111); /* no entry reported on failure */
}

static void t_bad_ident(void)
{
    static const struct { int at; unsigned char v; } bad[] = {
        {0, 0x7e}, {1, 'e'}, {2, 'l'}, {3, 'X'}, {0, 0},
        {4, 1},   /* ELFCLASS32 */
        {4, 0},
        {5, 2},   /* big endian */
        {5, 0},
    };
    for (unsigned k = 0; k < sizeof bad / sizeof bad[0]; k++) {
        build();
        img.b[bad[k].at] = bad[k].v;
        CHECK_EQ(parse(), HM_ELF_EMAGIC);
    }
    build();
    memset(img.b, 0, sizeof(struct ehdr));
    CHECK_EQ(parse(), HM_ELF_EMAGIC);
}

static void t_bad_machine_type(void)
{
    build();
    E()->machine = EM_X86_64;
    CHECK_EQ(parse(), HM_ELF_EMAGIC);
    build();
    E()->machine = 0;
    CHECK_EQ(parse(), HM_ELF_EMAGIC);
    build();
    E()->type = ET_DYN;
    CHECK_EQ(parse(), HM_ELF_EMAGIC);
    build();
    E()->type = ET_REL;
    CHECK_EQ(parse(), HM_ELF_EMAGIC);
    build();
    E()->phentsize = 32; /* not Elf64_Phdr */
    CHECK_EQ(parse(), HM_ELF_EMAGIC);
}

static void t_phdr_bounds(void)
{
    build();
    E()->phoff = IMG_SIZE + 1;
    CHECK_EQ(parse(), HM_ELF_ETRUNC);
    E()->phoff = UINT64_MAX;
    CHECK_EQ(parse(), HM_ELF_ETRUNC);
    E()->phoff = UINT64_MAX - 0x20;   /* phoff + table size would wrap */
    CHECK_EQ(parse(), HM_ELF_ETRUNC);
    E()->phoff = IMG_SIZE - 3 * sizeof(struct phdr) + 1;
    CHECK_EQ(parse(), HM_ELF_ETRUNC);
    E()->phoff = IMG_SIZE;
    E()->phnum = 1;
    CHECK_EQ(parse(), HM_ELF_ETRUNC);
    build();
    E()->phnum = 0xffff;              /* table far larger than the image */
    CHECK_EQ(parse(), HM_ELF_ETRUNC);
    /* program headers at an odd offset still parse (read bytewise) */
    build();
    unsigned char tab[3 * sizeof(struct phdr)];
    memcpy(tab, img.b + 64, sizeof tab);
    memset(img.b + 64, 0, sizeof tab);
    memcpy(img.b + 0x101, tab, sizeof tab);
    E()->phoff = 0x101;
    CHECK_EQ(parse(), 2);
    CHECK_EQ(segs[1].file_off, 0x2010);
    /* phnum == 0: nothing to load */
    build();
    E()->phnum = 0;
    CHECK_EQ(parse(), HM_ELF_ESEG);
}

static void t_seg_bad_sizes(void)
{
    build();
    P(1)->filesz = 0x1ff1;            /* filesz > memsz */
    CHECK_EQ(parse(), HM_ELF_ESEG);
    build();
    P(0)->filesz = 0x181;
    CHECK_EQ(parse(), HM_ELF_ESEG);
    build();
    P(1)->offset = IMG_SIZE + 0x10;   /* bytes past the end of the image */
    CHECK_EQ(parse(), HM_ELF_ETRUNC);
    build();
    P(1)->offset = UINT64_MAX - 8;    /* offset past the end, offset + filesz wraps */
    CHECK_EQ(parse(), HM_ELF_ETRUNC);
    build();
    P(1)->filesz = P(1)->memsz = UINT64_MAX - 0x1000; /* offset in range, offset + filesz wraps */
    CHECK_EQ(parse(), HM_ELF_ETRUNC);
    build();
    P(1)->filesz = P(1)->memsz = IMG_SIZE; /* runs off the end */
    CHECK_EQ(parse(), HM_ELF_ETRUNC);
}

static void t_wx_rejected(void)
{
    build();
    P(0)->flags = R | W | X;
    CHECK_EQ(parse(), HM_ELF_EWX);
    build();
    P(1)->flags = W | X;
    CHECK_EQ(parse(), HM_ELF_EWX);
    /* a non-PT_LOAD W+X header (PT_GNU_STACK in build()) is not a segment */
    build();
    CHECK_EQ(P(2)->flags, R | W | X);
    CHECK_EQ(parse(), 2);
}

static void t_out_of_range(void)
{
    build();
    P(0)->vaddr = 0;                  /* below va_min */
    E()->entry = 0x10;
    CHECK_EQ(parse(), HM_ELF_ERANGE);
    build();
    P(1)->vaddr = VA_MIN - 0x10;      /* starts just below va_min */
    CHECK_EQ(parse(), HM_ELF_ERANGE);
    build();
    P(1)->vaddr = VA_MAX - 0x1000;    /* ends past va_max */
    CHECK_EQ(parse(), HM_ELF_ERANGE);
    build();
    P(1)->vaddr = VA_MAX - P(1)->memsz + 1; /* ends one byte past va_max */
    CHECK_EQ(parse(), HM_ELF_ERANGE);
    build();
    P(1)->vaddr = VA_MAX;
    CHECK_EQ(parse(), HM_ELF_ERANGE);
    /* ending exactly at va_max and starting exactly at va_min are fine */
    build();
    P(1)->vaddr = VA_MAX - P(1)->memsz;
    CHECK_EQ(parse(), 2);
    CHECK_EQ(segs[1].vaddr + segs[1].memsz, VA_MAX);
    build();
    P(0)->vaddr = VA_MIN;
    E()->entry = VA_MIN;
    CHECK_EQ(parse(), 2);
    CHECK_EQ(entry, VA_MIN);
}

static void t_address_overflow(void)
{
    uint64_t va_max = UINT64_MAX;
    build();
    P(1)->vaddr = 0xfffffffffffff000ull;
    P(1)->memsz = 0x2000;             /* vaddr + memsz wraps to 0x1000 */
    CHECK_EQ(hm_elf_parse(img.b, IMG_SIZE, 0, va_max, &entry, segs, HM_ELF_MAX_SEGS), HM_ELF_ERANGE);
    build();
    P(1)->vaddr = 0x8000000000000000ull;
    P(1)->memsz = 0x8000000000000000ull; /* wraps to exactly 0 */
    CHECK_EQ(hm_elf_parse(img.b, IMG_SIZE, 0, va_max, &entry, segs, HM_ELF_MAX_SEGS), HM_ELF_ERANGE);
    build();
    P(1)->memsz = UINT64_MAX;
    CHECK_EQ(parse(), HM_ELF_ERANGE);
}

static void t_overlap(void)
{
    build();
    P(1)->vaddr = TEXT_VA + 0x100;    /* inside text */
    CHECK_EQ(parse(), HM_ELF_ESEG);
    build();
    P(1)->vaddr = TEXT_VA + 0x800;    /* past text's bytes but in its page */
    P(1)->memsz = 0x100;
    CHECK_EQ(parse(), HM_ELF_ESEG);
    build();
    P(1)->vaddr = TEXT_VA - 0x1000;   /* covers text entirely */
    P(1)->memsz = 0x4000;
    CHECK_EQ(parse(), HM_ELF_ESEG);
    build();
    P(1)->vaddr = TEXT_VA;            /* identical range */
    P(1)->memsz = 0x180;
    CHECK_EQ(parse(), HM_ELF_ESEG);
    /* adjacent pages do not overlap */
    build();
    P(1)->vaddr = TEXT_VA + 0x1000;
    CHECK_EQ(parse(), 2);
    CHECK_EQ(segs[1].vaddr, TEXT_VA + 0x1000);
    /* order in the table does not matter: data first, then text */
    build();
    struct phdr t = *P(0);
    *P(0) = *P(1);
    *P(1) = t;
    CHECK_EQ(parse(), 2);
    P(1)->vaddr = DATA_VA + 0x800;
    E()->entry = DATA_VA + 0x810;
    CHECK_EQ(parse(), HM_ELF_ESEG);
}

/* n PT_LOAD segments, one page apart, the first executable */
static void build_many(int n)
{
    build();
    E()->phnum = (uint16_t)n;
    E()->entry = TEXT_VA;
    for (int i = 0; i < n; i++)
        set_seg(i, PT_LOAD, i ? R : R | X, 0x1000, TEXT_VA + 0x1000ull * (uint64_t)i, 0x10, 0x10);
}

static void t_too_many_segments(void)
{
    build_many(HM_ELF_MAX_SEGS);
    CHECK_EQ(parse(), HM_ELF_MAX_SEGS);
    CHECK_EQ(segs[HM_ELF_MAX_SEGS - 1].vaddr, TEXT_VA + 0x1000ull * (HM_ELF_MAX_SEGS - 1));
    CHECK_EQ(segs[HM_ELF_MAX_SEGS].vaddr, 0xeeeeeeeeeeeeeeeeull);
    build_many(HM_ELF_MAX_SEGS + 1);
    CHECK_EQ(parse(), HM_ELF_ESEG);
    CHECK_EQ(segs[HM_ELF_MAX_SEGS].vaddr, 0xeeeeeeeeeeeeeeeeull); /* never written */
    /* the caller's limit is what counts */
    build();
    CHECK_EQ(parse_n(IMG_SIZE, 1), HM_ELF_ESEG);
    CHECK_EQ(segs[1].vaddr, 0xeeeeeeeeeeeeeeeeull);
    CHECK_EQ(parse_n(IMG_SIZE, 0), HM_ELF_ESEG);
    /* skipped headers do not count against the limit */
    build_many(HM_ELF_MAX_SEGS + 3);
    P(3)->type = PT_NOTE;
    P(5)->type = PT_NULL;
    P(7)->memsz = 0;
    P(7)->filesz = 0;
    CHECK_EQ(parse(), HM_ELF_MAX_SEGS);
}

static void t_entry_not_executable(void)
{
    build();
    E()->entry = DATA_VA;              /* in a writable segment */
    CHECK_EQ(parse(), HM_ELF_ESEG);
    build();
    E()->entry = 0x800000;             /* in no segment */
    CHECK_EQ(parse(), HM_ELF_ESEG);
    build();
    E()->entry = TEXT_VA + 0x180;      /* one past text: same page, not in it */
    CHECK_EQ(parse(), HM_ELF_ESEG);
    build();
    E()->entry = TEXT_VA - 1;
    CHECK_EQ(parse(), HM_ELF_ESEG);
    build();
    P(0)->flags = R;                   /* no executable segment at all */
    CHECK_EQ(parse(), HM_ELF_ESEG);
    build();
    E()->entry = TEXT_VA + 0x17f;      /* last byte of text is fine */
    CHECK_EQ(parse(), 2);
    CHECK_EQ(entry, TEXT_VA + 0x17f);
}

static void t_skipped_headers(void)
{
    /* non-PT_LOAD headers and empty PT_LOADs are ignored, however bogus */
    build();
    E()->phnum = 4;
    set_seg(2, PT_NOTE, R | W | X, UINT64_MAX, 0, UINT64_MAX, 1);
    set_seg(3, PT_LOAD, R | W | X, UINT64_MAX, 0, 0, 0);
    CHECK_EQ(parse(), 2);
    /* nothing loadable at all */
    build();
    P(0)->type = PT_NOTE;
    P(1)->memsz = 0;
    P(1)->filesz = 0;
    CHECK_EQ(parse(), HM_ELF_ESEG);
}

static void t_strerror(void)
{
    static const int codes[] = {HM_ELF_ETRUNC, HM_ELF_EMAGIC, HM_ELF_ESEG, HM_ELF_EWX, HM_ELF_ERANGE};
    const char *s[5];
    for (int i = 0; i < 5; i++) {
        s[i] = hm_elf_strerror(codes[i]);
        CHECK(s[i] != NULL && s[i][0] != 0);
        CHECK(strcmp(s[i], "ok") != 0);
        CHECK(strcmp(s[i], "unknown error") != 0);
        for (int j = 0; j < i; j++)
            CHECK(strcmp(s[i], s[j]) != 0);
    }
    CHECK_STR_EQ(hm_elf_strerror(HM_ELF_OK), "ok");
    CHECK_STR_EQ(hm_elf_strerror(-99), "unknown error");
}

int main(void)
{
    TAP_RUN("valid image yields its segments and entry", t_valid);
    TAP_RUN("truncated image", t_truncated);
    TAP_RUN("bad magic, class or byte order", t_bad_ident);
    TAP_RUN("bad machine, type or phentsize", t_bad_machine_type);
    TAP_RUN("program header table out of bounds", t_phdr_bounds);
    TAP_RUN("filesz > memsz or segment bytes out of bounds", t_seg_bad_sizes);
    TAP_RUN("writable+executable segment rejected", t_wx_rejected);
    TAP_RUN("segment outside [va_min, va_max)", t_out_of_range);
    TAP_RUN("vaddr + memsz overflow", t_address_overflow);
    TAP_RUN("overlapping segments", t_overlap);
    TAP_RUN("too many segments", t_too_many_segments);
    TAP_RUN("entry not in an executable segment", t_entry_not_executable);
    TAP_RUN("non-load and empty headers skipped", t_skipped_headers);
    TAP_RUN("strerror covers every error", t_strerror);
    return tap_done();
}
