/* SHA-256 (FIPS 180-4), incremental. Pure logic, host-tested. */
#ifndef HM_SHA256_H
#define HM_SHA256_H
#include <stdint.h>
#include <stddef.h>

struct hm_sha256 {
    uint32_t h[8];
    uint64_t len;        /* bytes hashed so far */
    uint8_t buf[64];
    size_t nbuf;
};

void hm_sha256_init(struct hm_sha256 *c);
void hm_sha256_update(struct hm_sha256 *c, const void *data, size_t n);
void hm_sha256_final(struct hm_sha256 *c, uint8_t out[32]);
/* lowercase hex of the 32-byte digest, NUL-terminated (65 bytes) */
void hm_sha256_hex(const uint8_t d[32], char out[65]);
#endif
