/* Boot image reader (see hm/bootimg.h). */
#include <hm/bootimg.h>

static int name_eq(const char *a, const char *b)
{
    for (unsigned i = 0; i < HM_BOOTIMG_NAME; i++) {
        if (a[i] != b[i])
            return 0;
        if (!a[i])
            return 1;
    }
    return b[HM_BOOTIMG_NAME] == 0;
}

int hm_bootimg_check(const void *img, size_t size)
{
    const struct hm_bootimg_hdr *h = img;
    if (size < sizeof *h)
        return -1;
    for (int i = 0; i < 8; i++)
        if (h->magic[i] != HM_BOOTIMG_MAGIC[i])
            return -1;
    if (h->total_size > size || h->count > (size - sizeof *h) / sizeof(struct hm_bootimg_ent))
        return -1;
    const struct hm_bootimg_ent *e = (const void *)(h + 1);
    for (uint32_t i = 0; i < h->count; i++) {
        if (e[i].name[HM_BOOTIMG_NAME - 1] != 0 || e[i].name[0] == 0)
            return -1;
        if (e[i].offset > h->total_size || e[i].size > h->total_size - e[i].offset)
            return -1;
    }
    return 0;
}

int hm_bootimg_entry(const void *img, unsigned i, const char **name, const void **data, size_t *len)
{
    const struct hm_bootimg_hdr *h = img;
    if (i >= h->count)
        return -1;
    const struct hm_bootimg_ent *e = (const struct hm_bootimg_ent *)(h + 1) + i;
    if (name)
        *name = e->name;
    if (data)
        *data = (const char *)img + e->offset;
    if (len)
        *len = e->size;
    return 0;
}

int hm_bootimg_find(const void *img, const char *name, const void **data, size_t *len)
{
    const struct hm_bootimg_hdr *h = img;
    for (unsigned i = 0; i < h->count; i++) {
        const char *n;
        hm_bootimg_entry(img, i, &n, data, len);
        if (name_eq(n, name))
            return 0;
    }
    return -1;
}
