/*
 * Multi-buffer keccak256: W independent messages hashed at once, one message per SIMD
 * lane. Included by _keccak_lanes.h once per instruction set with these macros defined
 * (and undefined again at the end of this file, ready for the next instruction set):
 *   W          lanes (4 for AVX2, 8 for AVX-512)
 *   SFX        function-name suffix
 *   TGT        __attribute__((target(...)))
 *   V          vector type; LOAD(p) STORE(p, v) XOR(a, b) ANDN(a, b) = ~a & b, SET1(x), ROL(v, n)
 * Provides:
 *   hash_jobs_SFX(buf, offs, lo, hi, out, twice): out[i] = keccak256(msg i) (twice: of it again)
 *   hash_pairs_SFX(nodes, lo, hi): node i = keccak256(sorted(node 2i+1, node 2i+2))
 */
#define CAT_(a, b) a##b
#define CAT(a, b) CAT_(a, b)

TGT static void CAT(keccakf_, SFX)(uint64_t S[25][W]) {
    V s[25];
    for (int i = 0; i < 25; i++) s[i] = LOAD(S[i]);
    V b0, b1, b2, b3, b4, d0, d1, d2, d3, d4, t;
    for (int r = 0; r < 24; r++) {
        b0 = XOR(XOR(XOR(s[0], s[5]), XOR(s[10], s[15])), s[20]);
        b1 = XOR(XOR(XOR(s[1], s[6]), XOR(s[11], s[16])), s[21]);
        b2 = XOR(XOR(XOR(s[2], s[7]), XOR(s[12], s[17])), s[22]);
        b3 = XOR(XOR(XOR(s[3], s[8]), XOR(s[13], s[18])), s[23]);
        b4 = XOR(XOR(XOR(s[4], s[9]), XOR(s[14], s[19])), s[24]);
        d0 = XOR(b4, ROL(b1, 1));
        d1 = XOR(b0, ROL(b2, 1));
        d2 = XOR(b1, ROL(b3, 1));
        d3 = XOR(b2, ROL(b4, 1));
        d4 = XOR(b3, ROL(b0, 1));
        for (int j = 0; j < 25; j += 5) {
            s[j] = XOR(s[j], d0); s[j + 1] = XOR(s[j + 1], d1); s[j + 2] = XOR(s[j + 2], d2);
            s[j + 3] = XOR(s[j + 3], d3); s[j + 4] = XOR(s[j + 4], d4);
        }
        t = s[1];
#define RPV(j, rot) { V tmp = s[j]; s[j] = ROL(t, rot); t = tmp; }
        RPV(10, 1) RPV(7, 3) RPV(11, 6) RPV(17, 10) RPV(18, 15) RPV(3, 21) RPV(5, 28)
        RPV(16, 36) RPV(8, 45) RPV(21, 55) RPV(24, 2) RPV(4, 14) RPV(15, 27) RPV(23, 41)
        RPV(19, 56) RPV(13, 8) RPV(12, 25) RPV(2, 43) RPV(20, 62) RPV(14, 18) RPV(22, 39)
        RPV(9, 61) RPV(6, 20) RPV(1, 44)
#undef RPV
        for (int j = 0; j < 25; j += 5) {
            b0 = s[j]; b1 = s[j + 1]; b2 = s[j + 2]; b3 = s[j + 3]; b4 = s[j + 4];
            s[j] = XOR(b0, ANDN(b1, b2));
            s[j + 1] = XOR(b1, ANDN(b2, b3));
            s[j + 2] = XOR(b2, ANDN(b3, b4));
            s[j + 3] = XOR(b3, ANDN(b4, b0));
            s[j + 4] = XOR(b4, ANDN(b0, b1));
        }
        s[0] = XOR(s[0], SET1((long long)RC[r]));
    }
    for (int i = 0; i < 25; i++) STORE(S[i], s[i]);
}

typedef struct {
    const uint8_t *p;
    size_t left;
    size_t idx;
    int phase;  /* 1: first hash, 2: hash of the digest */
    int active;
    int last;
} CAT(lane_, SFX);

TGT static void CAT(hash_jobs_, SFX)(const uint8_t *buf, const size_t *offs, size_t lo,
                                      size_t hi, uint8_t *out, int twice) {
    uint64_t S[25][W] __attribute__((aligned(64)));
    uint8_t dig[W][32];
    uint8_t blk[RATE];
    CAT(lane_, SFX) L[W];
    size_t next = lo;
    int active = 0;
    memset(S, 0, sizeof S);
    for (int l = 0; l < W; l++) {
        L[l].active = next < hi;
        if (L[l].active) {
            L[l].idx = next;
            L[l].p = buf + offs[next];
            L[l].left = offs[next + 1] - offs[next];
            L[l].phase = 1;
            next++;
            active++;
        }
    }
    while (active > 0) {
        for (int l = 0; l < W; l++) {
            if (!L[l].active) continue;
            const uint8_t *src;
            if (L[l].left >= RATE) {
                src = L[l].p;
                L[l].p += RATE;
                L[l].left -= RATE;
                L[l].last = 0;
            } else {
                memset(blk, 0, RATE);
                memcpy(blk, L[l].p, L[l].left);
                blk[L[l].left] ^= 0x01;
                blk[RATE - 1] ^= 0x80;
                src = blk;
                L[l].last = 1;
            }
            for (int w = 0; w < RATE / 8; w++) {
                uint64_t x;
                memcpy(&x, src + 8 * w, 8);
                S[w][l] ^= x;
            }
        }
        CAT(keccakf_, SFX)(S);
        for (int l = 0; l < W; l++) {
            if (!L[l].active || !L[l].last) continue;
            uint8_t d[32];
            for (int w = 0; w < 4; w++) memcpy(d + 8 * w, &S[w][l], 8);
            for (int w = 0; w < 25; w++) S[w][l] = 0;
            if (twice && L[l].phase == 1) {
                memcpy(dig[l], d, 32);
                L[l].p = dig[l];
                L[l].left = 32;
                L[l].phase = 2;
                continue;
            }
            memcpy(out + 32 * (L[l].idx - lo), d, 32);
            if (next < hi) {
                L[l].idx = next;
                L[l].p = buf + offs[next];
                L[l].left = offs[next + 1] - offs[next];
                L[l].phase = 1;
                next++;
            } else {
                L[l].active = 0;
                active--;
            }
        }
    }
}

TGT static void CAT(hash_pairs_, SFX)(uint8_t *nodes, size_t lo, size_t hi) {
    uint64_t S[25][W] __attribute__((aligned(64)));
    size_t i = lo;
    for (; i + W <= hi; i += W) {
        memset(S, 0, sizeof S);
        for (int l = 0; l < W; l++) {
            const uint8_t *a = nodes + 32 * (2 * (i + l) + 1);
            const uint8_t *b = a + 32;
            if (memcmp(a, b, 32) > 0) { const uint8_t *t = a; a = b; b = t; }
            for (int w = 0; w < 4; w++) {
                memcpy(&S[w][l], a + 8 * w, 8);
                memcpy(&S[w + 4][l], b + 8 * w, 8);
            }
            S[8][l] = 0x01;                  /* padding byte at offset 64 */
            S[16][l] = 0x8000000000000000ULL; /* 0x80 at offset 135 */
        }
        CAT(keccakf_, SFX)(S);
        for (int l = 0; l < W; l++)
            for (int w = 0; w < 4; w++) memcpy(nodes + 32 * (i + l) + 8 * w, &S[w][l], 8);
    }
    for (; i < hi; i++)
        hash_pair(nodes + 32 * (2 * i + 1), nodes + 32 * (2 * i + 2), nodes + 32 * i);
}

#undef CAT
#undef CAT_
#undef W
#undef SFX
#undef TGT
#undef V
#undef LOAD
#undef STORE
#undef XOR
#undef ANDN
#undef SET1
#undef ROL
