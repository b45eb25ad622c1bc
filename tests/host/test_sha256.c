/* SHA-256 against FIPS 180-4 vectors and values from Python's hashlib. */
#define TAP_MODULE "sha256"
#include "tap.h"
#include <hm/sha256.h>
#include <stdlib.h>

static char h[65];

static void hex_of(const void *d, size_t n)
{
    struct hm_sha256 c;
    uint8_t dig[32];
    hm_sha256_init(&c);
    hm_sha256_update(&c, d, n);
    hm_sha256_final(&c, dig);
    hm_sha256_hex(dig, h);
}

static void t_empty(void)
{
    hex_of("", 0);
    CHECK_STR_EQ(h, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}

static void t_abc(void)
{
    hex_of("abc", 3);
    CHECK_STR_EQ(h, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

static void t_two_blocks(void)
{
    const char *m = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
    hex_of(m, strlen(m));
    CHECK_STR_EQ(h, "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
}

static void t_million_pieces(void)
{
    struct hm_sha256 c;
    uint8_t dig[32];
    char *a = malloc(1000000);
    CHECK(a != NULL);
    memset(a, 'a', 1000000);
    hm_sha256_init(&c);
    size_t off = 0, step = 1;
    while (off < 1000000) {
        size_t n = step < 1000000 - off ? step : 1000000 - off;
        hm_sha256_update(&c, a + off, n);
        off += n;
        step = step * 3 % 1013 + 1;
    }
    hm_sha256_final(&c, dig);
    hm_sha256_hex(dig, h);
    free(a);
    CHECK_STR_EQ(h, "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}

static void t_padding_edges(void)
{
    char buf[64];
    memset(buf, 'x', sizeof buf);
    hex_of(buf, 55);
    CHECK_STR_EQ(h, "d5e285683cd4efc02d021a5c62014694958901005d6f71e89e0989fac77e4072");
    hex_of(buf, 56);
    CHECK_STR_EQ(h, "04c26261370ee7541549d16dee320c723e3fd14671e66a099afe0a377c16888e");
    hex_of(buf, 64);
    CHECK_STR_EQ(h, "7ce100971f64e7001e8fe5a51973ecdfe1ced42befe7ee8d5fd6219506b5393c");
}

int main(void)
{
    TAP_RUN("empty input", t_empty);
    TAP_RUN("abc", t_abc);
    TAP_RUN("two-block message", t_two_blocks);
    TAP_RUN("a million 'a' fed in odd pieces", t_million_pieces);
    TAP_RUN("55, 56 and 64 bytes (padding edges)", t_padding_edges);
    return tap_done();
}
