/* keccak256 on one buffer (the reference every faster path here is compared with) and the
 * sorted-pair hash of the OpenZeppelin tree. The one scalar Keccak of the accelerators: both
 * _seal.c (through _keccak.h) and _sumtree.c include it. Needs <stdint.h>, <string.h>. */

#ifndef ANCHOR_KECCAK_SCALAR_H
#define ANCHOR_KECCAK_SCALAR_H

/* ------------------------------------------------------------------ keccak-f[1600] */

static const uint64_t RC[24] = {
    0x0000000000000001ULL, 0x0000000000008082ULL, 0x800000000000808aULL, 0x8000000080008000ULL,
    0x000000000000808bULL, 0x0000000080000001ULL, 0x8000000080008081ULL, 0x8000000000008009ULL,
    0x000000000000008aULL, 0x0000000000000088ULL, 0x0000000080008009ULL, 0x000000008000000aULL,
    0x000000008000808bULL, 0x800000000000008bULL, 0x8000000000008089ULL, 0x8000000000008003ULL,
    0x8000000000008002ULL, 0x8000000000000080ULL, 0x000000000000800aULL, 0x800000008000000aULL,
    0x8000000080008081ULL, 0x8000000000008080ULL, 0x0000000080000001ULL, 0x8000000080008008ULL};

#define ROTL(x, n) (((x) << (n)) | ((x) >> (64 - (n))))

static void keccakf(uint64_t s[25]) {
    uint64_t b0, b1, b2, b3, b4, d0, d1, d2, d3, d4, t;
    for (int r = 0; r < 24; r++) {
        b0 = s[0] ^ s[5] ^ s[10] ^ s[15] ^ s[20];
        b1 = s[1] ^ s[6] ^ s[11] ^ s[16] ^ s[21];
        b2 = s[2] ^ s[7] ^ s[12] ^ s[17] ^ s[22];
        b3 = s[3] ^ s[8] ^ s[13] ^ s[18] ^ s[23];
        b4 = s[4] ^ s[9] ^ s[14] ^ s[19] ^ s[24];
        d0 = b4 ^ ROTL(b1, 1);
        d1 = b0 ^ ROTL(b2, 1);
        d2 = b1 ^ ROTL(b3, 1);
        d3 = b2 ^ ROTL(b4, 1);
        d4 = b3 ^ ROTL(b0, 1);
        for (int j = 0; j < 25; j += 5) {
            s[j] ^= d0; s[j + 1] ^= d1; s[j + 2] ^= d2; s[j + 3] ^= d3; s[j + 4] ^= d4;
        }
        /* rho and pi */
        t = s[1];
#define RP(j, rot) { uint64_t tmp = s[j]; s[j] = ROTL(t, rot); t = tmp; }
        RP(10, 1) RP(7, 3) RP(11, 6) RP(17, 10) RP(18, 15) RP(3, 21) RP(5, 28) RP(16, 36)
        RP(8, 45) RP(21, 55) RP(24, 2) RP(4, 14) RP(15, 27) RP(23, 41) RP(19, 56) RP(13, 8)
        RP(12, 25) RP(2, 43) RP(20, 62) RP(14, 18) RP(22, 39) RP(9, 61) RP(6, 20) RP(1, 44)
#undef RP
        /* chi */
        for (int j = 0; j < 25; j += 5) {
            b0 = s[j]; b1 = s[j + 1]; b2 = s[j + 2]; b3 = s[j + 3]; b4 = s[j + 4];
            s[j] = b0 ^ (~b1 & b2);
            s[j + 1] = b1 ^ (~b2 & b3);
            s[j + 2] = b2 ^ (~b3 & b4);
            s[j + 3] = b3 ^ (~b4 & b0);
            s[j + 4] = b4 ^ (~b0 & b1);
        }
        s[0] ^= RC[r];
    }
}

#define RATE 136

/* keccak256 (original Keccak padding 0x01), little-endian host assumed (x86-64, arm64). */
static void keccak256(const uint8_t *in, size_t len, uint8_t out[32]) {
    uint64_t s[25];
    memset(s, 0, sizeof s);
    uint8_t *sb = (uint8_t *)s;
    while (len >= RATE) {
        for (int i = 0; i < RATE / 8; i++) {
            uint64_t w;
            memcpy(&w, in + 8 * i, 8);
            s[i] ^= w;
        }
        keccakf(s);
        in += RATE;
        len -= RATE;
    }
    for (size_t i = 0; i < len; i++) sb[i] ^= in[i];
    sb[len] ^= 0x01;
    sb[RATE - 1] ^= 0x80;
    keccakf(s);
    memcpy(out, s, 32);
}

/* 64-byte input (a node pair): one permutation. */
static inline void hash_pair(const uint8_t *a, const uint8_t *b, uint8_t out[32]) {
    uint8_t buf[64];
    if (memcmp(a, b, 32) <= 0) {
        memcpy(buf, a, 32); memcpy(buf + 32, b, 32);
    } else {
        memcpy(buf, b, 32); memcpy(buf + 32, a, 32);
    }
    keccak256(buf, 64, out);
}

#endif /* ANCHOR_KECCAK_SCALAR_H */
