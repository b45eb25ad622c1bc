/* vfs's namespace: a flat table of absolute paths (see vfs.h). */
#include "vfs.h"
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_NODES 128

static struct vfs_node nodes[MAX_NODES];
static int nnodes;

struct vfs_node *vfs_lookup(const char *path)
{
    for (int i = 0; i < nnodes; i++)
        if (!strcmp(nodes[i].path, path))
            return &nodes[i];
    return NULL;
}

struct vfs_node *vfs_add(const char *path, int type, uint64_t size)
{
    if (nnodes == MAX_NODES)
        return NULL;
    struct vfs_node *n = &nodes[nnodes++];
    snprintf(n->path, sizeof n->path, "%s", path);
    n->type = type;
    n->size = size;
    n->driver = HM_HANDLE_INVALID;
    return n;
}

int vfs_add_parents(const char *path)
{
    char dir[HM_VFS_PATH_MAX];
    snprintf(dir, sizeof dir, "%s", path);
    for (char *slash = strchr(dir + 1, '/'); slash; slash = strchr(slash + 1, '/')) {
        *slash = 0;
        struct vfs_node *n = vfs_lookup(dir);
        if (n && n->type != HM_VFS_DIR)
            return -ENOTDIR;
        if (!n && !vfs_add(dir, HM_VFS_DIR, 0))
            return -ENOSPC;
        *slash = '/';
    }
    return 0;
}

struct vfs_node *vfs_child(const char *dir, uint64_t index)
{
    size_t dl = strlen(dir);
    uint64_t k = 0;
    for (int i = 0; i < nnodes; i++) {
        const char *p = nodes[i].path;
        if (strncmp(p, dir, dl) || (dl > 1 && p[dl] != '/') || !p[dl] || !strcmp(p, dir))
            continue;
        const char *rest = p + dl + (dl > 1);
        if (!*rest || strchr(rest, '/'))
            continue;
        if (k++ == index)
            return &nodes[i];
    }
    return NULL;
}

int vfs_tmp_write(const char *path, uint64_t off, uint64_t len, const uint8_t *data)
{
    if (strncmp(path, "/tmp/", 5) || strchr(path + 5, '/'))
        return vfs_lookup(path) ? -EROFS : -EACCES;
    struct vfs_node *n = vfs_lookup(path);
    if (n && n->type != HM_VFS_FILE)
        return -EROFS;
    if (off > VFS_TMP_FILE_MAX || len > VFS_TMP_FILE_MAX - off)
        return -ENOSPC;
    if (!n && !(n = vfs_add(path, HM_VFS_FILE, 0)))
        return -ENOSPC;
    if (!n->data && !(n->data = calloc(1, VFS_TMP_FILE_MAX)))
        return -ENOSPC;
    memcpy(n->data + off, data, len);
    if (off + len > n->size)
        n->size = off + len;
    return 0;
}

int vfs_path_of(const uint64_t *words, unsigned nwords, char path[HM_VFS_PATH_MAX])
{
    if (nwords < 1)
        return -EINVAL;
    size_t n = nwords * 8 < HM_VFS_PATH_MAX ? nwords * 8 : HM_VFS_PATH_MAX;
    memcpy(path, words, n);
    if (!memchr(path, 0, n) || path[0] != '/' || strstr(path, "//") || strstr(path, "/./") ||
        strstr(path, "/../"))
        return -EINVAL;
    size_t l = strlen(path);
    if ((l >= 2 && !strcmp(path + l - 2, "/.")) || (l >= 3 && !strcmp(path + l - 3, "/..")))
        return -EINVAL;
    if (l > 1 && path[l - 1] == '/')
        path[l - 1] = 0;
    return 0;
}
