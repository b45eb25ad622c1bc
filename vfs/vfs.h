/* vfs's namespace (nodes.c), as its request handlers (main.c) see it. One
 * thread: nothing here is locked. */
#ifndef VFS_VFS_H
#define VFS_VFS_H
#include <hm/hm.h>
#include <hm/vfs.h>

struct vfs_node {
    char path[HM_VFS_PATH_MAX];
    int type;               /* HM_VFS_DIR, _FILE, _BLK, _CHR, _ZERO */
    uint64_t size;
    hm_handle_t driver;     /* a device: its driver's endpoint (SEND, GRANT, DUP) */
    uint8_t *data;          /* a /tmp file's contents */
};

#define VFS_TMP_FILE_MAX (64 * 1024)

/* the node at path, or NULL */
struct vfs_node *vfs_lookup(const char *path);
/* a new node (path copied); NULL when the table is full */
struct vfs_node *vfs_add(const char *path, int type, uint64_t size);
/* the directories a new node at path needs (its parents), made where
 * missing: 0, -ENOTDIR (a parent is something else) or -ENOSPC */
int vfs_add_parents(const char *path);
/* the index-th entry directly under dir, or NULL */
struct vfs_node *vfs_child(const char *dir, uint64_t index);
/* write len bytes at off into the /tmp file path (made if new): 0, -EACCES
 * (not under /tmp), -EROFS (not a file), -ENOSPC (past VFS_TMP_FILE_MAX or
 * no room) */
int vfs_tmp_write(const char *path, uint64_t off, uint64_t len, const uint8_t *data);
/* the path of a request, checked: present, NUL-terminated, absolute, no
 * empty, "." or ".." components; a trailing '/' is dropped. 0 or -EINVAL */
int vfs_path_of(const uint64_t *words, unsigned nwords, char path[HM_VFS_PATH_MAX]);
#endif
