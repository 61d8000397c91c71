/* Multi-buffer keccak256 over 4 (AVX2) or 8 (AVX-512) inputs at once, instantiated from
 * _keccak_simd.h, and the choice of the best the CPU has (detect_simd, at import). Included
 * after _keccak_scalar.h by _seal.c (through _keccak.h) and _sumtree.c. */

#ifndef ANCHOR_KECCAK_LANES_H
#define ANCHOR_KECCAK_LANES_H

#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>
#define HAVE_X86_SIMD 1

#define W 4
#define SFX avx2
#define TGT __attribute__((target("avx2")))
#define V __m256i
#define LOAD(p) _mm256_load_si256((const __m256i *)(p))
#define STORE(p, v) _mm256_store_si256((__m256i *)(p), (v))
#define XOR(a, b) _mm256_xor_si256((a), (b))
#define ANDN(a, b) _mm256_andnot_si256((a), (b))
#define SET1(x) _mm256_set1_epi64x(x)
#define ROL(v, n) _mm256_or_si256(_mm256_slli_epi64((v), (n)), _mm256_srli_epi64((v), 64 - (n)))
#include "_keccak_simd.h"

#define W 8
#define SFX avx512
#define TGT __attribute__((target("avx512f")))
#define V __m512i
#define LOAD(p) _mm512_load_si512((const void *)(p))
#define STORE(p, v) _mm512_store_si512((void *)(p), (v))
#define XOR(a, b) _mm512_xor_si512((a), (b))
#define ANDN(a, b) _mm512_andnot_si512((a), (b))
#define SET1(x) _mm512_set1_epi64(x)
#define ROL(v, n) _mm512_rol_epi64((v), (n))
#include "_keccak_simd.h"
#endif

/* 0 scalar, 1 AVX2 (4 lanes), 2 AVX-512 (8 lanes); the best the CPU has, chosen at import */
static int simd_level = 0;
static int simd_best = 0;

static void detect_simd(void) {
#ifdef HAVE_X86_SIMD
    __builtin_cpu_init();
    if (__builtin_cpu_supports("avx512f")) simd_best = 2;
    else if (__builtin_cpu_supports("avx2")) simd_best = 1;
#endif
    simd_level = simd_best;
}

#endif /* ANCHOR_KECCAK_LANES_H */
