/* Host unit tests for the boot image reader (lib/src/bootimg.c). Images are
 * built in memory with the layout scripts/mkbootimg writes. */
#define TAP_MODULE "bootimg"
#include "tap.h"

#include <hm/bootimg.h>
#include <stdint.h>

_Static_assert(sizeof(struct hm_bootimg_hdr) == 24, "header is 24 bytes");
_Static_assert(sizeof(struct hm_bootimg_ent) == 64, "entry is 64 bytes");

#define BUF_SIZE 8192u
static union {
    unsigned char b[BUF_SIZE];
    uint64_t align;
} img;

static struct hm_bootimg_hdr *H(void) { return (struct hm_bootimg_hdr *)img.b; }
static struct hm_bootimg_ent *ENT(unsigned i) { return (struct hm_bootimg_ent *)(img.b + sizeof(struct hm_bootimg_hdr)) + i; }

struct file { const char *name; const char *data; };

/* like scripts/mkbootimg: header, entry table, each file 16-byte aligned,
 * total size rounded up to a page; returns the total size */
static size_t build(const struct file *f, unsigned n)
{
    memset(img.b, 0xcc, sizeof img.b);
    size_t off = sizeof(struct hm_bootimg_hdr) + n * sizeof(struct hm_bootimg_ent);
    for (unsigned i = 0; i < n; i++) {
        size_t len = strlen(f[i].data);
        off = (off + 15) & ~(size_t)15;
        struct hm_bootimg_ent *e = ENT(i);
        memset(e->name, 0, sizeof e->name);
        memcpy(e->name, f[i].name, strlen(f[i].name));
        e->offset = off;
        e->size = len;
        memcpy(img.b + off, f[i].data, len);
        off += len;
    }
    size_t total = (off + 4095) & ~(size_t)4095;
    memcpy(H()->magic, HM_BOOTIMG_MAGIC, 8);
    H()->count = n;
    H()->reserved = 0;
    H()->total_size = total;
    return total;
}

static const struct file std_files[] = {
    {"init", "\x7f" "ELF init image"},
    {"boot.conf", "run console\nrun shell\n"},
    {"console", "console server bytes"},
    {"empty", ""},
};
#define NSTD 4u

static size_t build_std(void) { return build(std_files, NSTD); }

static void t_valid_entries(void)
{
    size_t total = build_std();
    CHECK_EQ(total, 4096);
    CHECK_EQ(hm_bootimg_check(img.b, total), 0);
    CHECK_EQ(hm_bootimg_check(img.b, BUF_SIZE), 0); /* a larger buffer is fine */
    for (unsigned i = 0; i < NSTD; i++) {
        const char *name = NULL;
        const void *data = NULL;
        size_t len = 12345;
        CHECK_EQ(hm_bootimg_entry(img.b, i, &name, &data, &len), 0);
        CHECK_STR_EQ(name, std_files[i].name);
        CHECK_PTR_EQ(data, img.b + ENT(i)->offset);
        CHECK_EQ(((const unsigned char *)data - img.b) % 16, 0);
        CHECK_EQ(len, strlen(std_files[i].data));
        CHECK(memcmp(data, std_files[i].data, len) == 0);
    }
}

static void t_entry_bounds_and_null_outputs(void)
{
    size_t total = build_std();
    CHECK_EQ(hm_bootimg_check(img.b, total), 0);
    const char *name = "unchanged";
    const void *data = &name;
    size_t len = 777;
    CHECK_EQ(hm_bootimg_entry(img.b, NSTD, &name, &data, &len), -1);
    CHECK_EQ(hm_bootimg_entry(img.b, 1000, &name, &data, &len), -1);
    CHECK_EQ(hm_bootimg_entry(img.b, UINT32_MAX, &name, &data, &len), -1);
    CHECK_STR_EQ(name, "unchanged");
    CHECK_PTR_EQ(data, &name);
    CHECK_EQ(len, 777);
    /* any output may be NULL */
    CHECK_EQ(hm_bootimg_entry(img.b, 1, NULL, NULL, NULL), 0);
    CHECK_EQ(hm_bootimg_entry(img.b, 1, NULL, NULL, &len), 0);
    CHECK_EQ(len, strlen(std_files[1].data));
    CHECK_EQ(hm_bootimg_entry(img.b, 2, &name, NULL, NULL), 0);
    CHECK_STR_EQ(name, "console");
}

static void t_find(void)
{
    size_t total = build_std();
    CHECK_EQ(hm_bootimg_check(img.b, total), 0);
    for (unsigned i = 0; i < NSTD; i++) {
        const void *data = NULL;
        size_t len = 12345;
        CHECK_EQ(hm_bootimg_find(img.b, std_files[i].name, &data, &len), 0);
        CHECK_PTR_EQ(data, img.b + ENT(i)->offset);
        CHECK_EQ(len, strlen(std_files[i].data));
    }
    const void *data;
    size_t len;
    CHECK_EQ(hm_bootimg_find(img.b, "boot.conf", NULL, NULL), 0);
    CHECK_EQ(hm_bootimg_find(img.b, "shell", &data, &len), -1);
    CHECK_EQ(hm_bootimg_find(img.b, "ini", &data, &len), -1);      /* prefix of a name */
    CHECK_EQ(hm_bootimg_find(img.b, "init2", &data, &len), -1);    /* a name is its prefix */
    CHECK_EQ(hm_bootimg_find(img.b, "INIT", &data, &len), -1);     /* case matters */
    CHECK_EQ(hm_bootimg_find(img.b, "", &data, &len), -1);
    /* a query longer than any name can be */
    CHECK_EQ(hm_bootimg_find(img.b, "init-with-a-name-much-longer-than-forty-eight-characters", &data, &len), -1);
}

static void t_find_long_and_duplicate_names(void)
{
    char n47[48], n48[49];
    memset(n47, 'a', 47);
    n47[47] = 0;
    memset(n48, 'a', 48);
    n48[48] = 0;
    const struct file f[] = {{"dup", "first"}, {n47, "longest name"}, {"dup", "second"}};
    size_t total = build(f, 3);
    CHECK_EQ(hm_bootimg_check(img.b, total), 0);
    const void *data;
    size_t len;
    CHECK_EQ(hm_bootimg_find(img.b, n47, &data, &len), 0);
    CHECK_EQ(len, strlen("longest name"));
    CHECK(memcmp(data, "longest name", len) == 0);
    CHECK_EQ(hm_bootimg_find(img.b, n48, &data, &len), -1); /* one more character */
    n47[46] = 'b';
    CHECK_EQ(hm_bootimg_find(img.b, n47, &data, &len), -1);
    /* the first of two equal names wins */
    CHECK_EQ(hm_bootimg_find(img.b, "dup", &data, &len), 0);
    CHECK_EQ(len, 5);
    CHECK(memcmp(data, "first", 5) == 0);
}

static void t_empty_image(void)
{
    memset(img.b, 0, sizeof img.b);
    memcpy(H()->magic, HM_BOOTIMG_MAGIC, 8);
    H()->count = 0;
    H()->total_size = sizeof(struct hm_bootimg_hdr);
    CHECK_EQ(hm_bootimg_check(img.b, sizeof(struct hm_bootimg_hdr)), 0);
    CHECK_EQ(hm_bootimg_entry(img.b, 0, NULL, NULL, NULL), -1);
    CHECK_EQ(hm_bootimg_find(img.b, "init", NULL, NULL), -1);
    H()->total_size = 0; /* an even smaller claimed size is still consistent */
    CHECK_EQ(hm_bootimg_check(img.b, sizeof(struct hm_bootimg_hdr)), 0);
}

static void t_truncated_header(void)
{
    size_t total = build_std();
    CHECK_EQ(hm_bootimg_check(img.b, 0), -1);
    CHECK_EQ(hm_bootimg_check(img.b, 1), -1);
    CHECK_EQ(hm_bootimg_check(img.b, sizeof(struct hm_bootimg_hdr) - 1), -1);
    /* a header that would otherwise be consistent (no entries, total_size 0)
     * but lies partly outside the buffer */
    H()->count = 0;
    H()->total_size = 0;
    CHECK_EQ(hm_bootimg_check(img.b, sizeof(struct hm_bootimg_hdr)), 0);
    CHECK_EQ(hm_bootimg_check(img.b, sizeof(struct hm_bootimg_hdr) - 1), -1);
    CHECK_EQ(hm_bootimg_check(img.b, 0), -1);
    H()->count = NSTD;
    H()->total_size = total;
    /* header fits but the entry table does not */
    CHECK_EQ(hm_bootimg_check(img.b, sizeof(struct hm_bootimg_hdr)), -1);
    CHECK_EQ(hm_bootimg_check(img.b, sizeof(struct hm_bootimg_hdr) + NSTD * sizeof(struct hm_bootimg_ent) - 1), -1);
}

static void t_bad_magic(void)
{
    size_t total = build_std();
    CHECK_EQ(hm_bootimg_check(img.b, total), 0);
    for (int i = 0; i < 8; i++) {
        char saved = H()->magic[i];
        H()->magic[i] = (char)(saved ^ 0x20);
        CHECK_EQ(hm_bootimg_check(img.b, total), -1);
        H()->magic[i] = saved;
    }
    memcpy(H()->magic, "HMBOOT2", 8);
    CHECK_EQ(hm_bootimg_check(img.b, total), -1);
    memcpy(H()->magic, "HMBOOT1X", 8); /* the terminating NUL is part of the magic */
    CHECK_EQ(hm_bootimg_check(img.b, total), -1);
    memset(H()->magic, 0, 8);
    CHECK_EQ(hm_bootimg_check(img.b, total), -1);
    memcpy(H()->magic, HM_BOOTIMG_MAGIC, 8);
    CHECK_EQ(hm_bootimg_check(img.b, total), 0);
}

static void t_count_too_large(void)
{
    size_t total = build_std();
    const size_t table_end = sizeof(struct hm_bootimg_hdr) + NSTD * sizeof(struct hm_bootimg_ent);
    /* the table must fit in the buffer: exactly NSTD entries fit in table_end bytes */
    H()->total_size = table_end;
    for (unsigned i = 0; i < NSTD; i++) { /* point every entry inside that size */
        ENT(i)->offset = 0;
        ENT(i)->size = 8;
    }
    CHECK_EQ(hm_bootimg_check(img.b, table_end), 0);
    /* one more entry, valid in memory, but past the end of the buffer */
    *ENT(NSTD) = *ENT(0);
    H()->count = NSTD + 1;
    CHECK_EQ(hm_bootimg_check(img.b, table_end + sizeof(struct hm_bootimg_ent)), 0);
    CHECK_EQ(hm_bootimg_check(img.b, table_end), -1);
    CHECK_EQ(hm_bootimg_check(img.b, table_end + sizeof(struct hm_bootimg_ent) - 1), -1);
    /* huge counts, checked against the buffer without overflow */
    build_std();
    H()->count = (uint32_t)(total / sizeof(struct hm_bootimg_ent)); /* table alone > total */
    CHECK_EQ(hm_bootimg_check(img.b, total), -1);
    H()->count = 0x80000000u;
    CHECK_EQ(hm_bootimg_check(img.b, total), -1);
    H()->count = UINT32_MAX;
    CHECK_EQ(hm_bootimg_check(img.b, total), -1);
    H()->count = NSTD;
    CHECK_EQ(hm_bootimg_check(img.b, total), 0);
}

static void t_entry_outside_total(void)
{
    size_t total = build_std();
    struct hm_bootimg_ent *e = ENT(2);
    e->offset = total + 16;                       /* starts past the end */
    e->size = 0;
    CHECK_EQ(hm_bootimg_check(img.b, BUF_SIZE), -1);
    build_std();
    e->offset = total - 16;                       /* ends past the end */
    e->size = 17;
    CHECK_EQ(hm_bootimg_check(img.b, BUF_SIZE), -1);
    e->size = 16;                                 /* ends exactly at the end */
    CHECK_EQ(hm_bootimg_check(img.b, BUF_SIZE), 0);
    e->offset = total;                            /* empty, at the end */
    e->size = 0;
    CHECK_EQ(hm_bootimg_check(img.b, BUF_SIZE), 0);
    e->offset = 16;                               /* offset + size wraps */
    e->size = UINT64_MAX - 8;
    CHECK_EQ(hm_bootimg_check(img.b, BUF_SIZE), -1);
    e->offset = UINT64_MAX;
    e->size = 1;
    CHECK_EQ(hm_bootimg_check(img.b, BUF_SIZE), -1);
    /* the limit is total_size, not the (larger) buffer */
    build_std();
    e->offset = total;
    e->size = 16;
    CHECK(total + 16 <= BUF_SIZE);
    CHECK_EQ(hm_bootimg_check(img.b, BUF_SIZE), -1);
    /* the last entry is checked too */
    build_std();
    ENT(NSTD - 1)->size = total;
    CHECK_EQ(hm_bootimg_check(img.b, BUF_SIZE), -1);
}

static void t_total_size_past_buffer(void)
{
    size_t total = build_std();
    CHECK_EQ(hm_bootimg_check(img.b, total), 0);
    CHECK_EQ(hm_bootimg_check(img.b, total - 1), -1);
    H()->total_size = total + 1;
    CHECK_EQ(hm_bootimg_check(img.b, total), -1);
    H()->total_size = UINT64_MAX;
    CHECK_EQ(hm_bootimg_check(img.b, BUF_SIZE), -1);
    /* a smaller total_size than the buffer is fine while the entries fit */
    H()->total_size = 512;
    CHECK_EQ(hm_bootimg_check(img.b, BUF_SIZE), 0);
    H()->total_size = ENT(NSTD - 2)->offset + ENT(NSTD - 2)->size - 1;
    CHECK_EQ(hm_bootimg_check(img.b, BUF_SIZE), -1);
}

static void t_unterminated_name(void)
{
    size_t total = build_std();
    memset(ENT(1)->name, 'x', HM_BOOTIMG_NAME); /* 48 characters, no NUL */
    CHECK_EQ(hm_bootimg_check(img.b, total), -1);
    /* a NUL early but garbage in the last byte is rejected too */
    build_std();
    ENT(3)->name[HM_BOOTIMG_NAME - 1] = 'z';
    CHECK_EQ(hm_bootimg_check(img.b, total), -1);
    ENT(3)->name[HM_BOOTIMG_NAME - 1] = 0;
    CHECK_EQ(hm_bootimg_check(img.b, total), 0);
}

static void t_empty_name(void)
{
    size_t total = build_std();
    ENT(0)->name[0] = 0;
    CHECK_EQ(hm_bootimg_check(img.b, total), -1);
    build_std();
    memset(ENT(NSTD - 1)->name, 0, HM_BOOTIMG_NAME);
    CHECK_EQ(hm_bootimg_check(img.b, total), -1);
}

int main(void)
{
    TAP_RUN("valid image: entries, data and sizes", t_valid_entries);
    TAP_RUN("entry past the end fails, NULL outputs allowed", t_entry_bounds_and_null_outputs);
    TAP_RUN("find by exact name", t_find);
    TAP_RUN("find with 47-char and duplicate names", t_find_long_and_duplicate_names);
    TAP_RUN("image without entries", t_empty_image);
    TAP_RUN("truncated header or entry table", t_truncated_header);
    TAP_RUN("bad magic", t_bad_magic);
    TAP_RUN("entry count too large", t_count_too_large);
    TAP_RUN("entry offset or size past total_size", t_entry_outside_total);
    TAP_RUN("total_size larger than the buffer", t_total_size_past_buffer);
    TAP_RUN("unterminated name", t_unterminated_name);
    TAP_RUN("empty name", t_empty_name);
    return tap_done();
}
