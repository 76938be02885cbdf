package org.sparsej.prune;

/**
 * The Mersenne Twister MT19937 with CPython's seeding and integer draws ({@code random.seed(int)},
 * {@code random.randint}), so that calibration samples can be drawn at the same offsets as the reference
 * pruning scripts (IST-DASLab sparsegpt / locuslab wanda datautils: {@code random.seed(seed)} then
 * {@code randint(0, n_tokens - seqlen - 1)} per sample). Algorithm: Matsumoto &amp; Nishimura 1998.
 */
final class PythonRandom {
  private static final int N = 624;
  private static final int M = 397;
  private final int[] mt = new int[N];
  private int index = N + 1;

  /** Seeds like CPython's random.seed(seed) for a non-negative int: init_by_array over its 32-bit words. */
  PythonRandom(long seed) {
    long s = Math.abs(seed);
    int[] key = (s >>> 32) == 0 ? new int[] {(int) s} : new int[] {(int) s, (int) (s >>> 32)};
    initByArray(key);
  }

  private void initGenrand(int s) {
    mt[0] = s;
    for (int i = 1; i < N; i++) {
      mt[i] = 1812433253 * (mt[i - 1] ^ (mt[i - 1] >>> 30)) + i;
    }
    index = N;
  }

  private void initByArray(int[] key) {
    initGenrand(19650218);
    int i = 1;
    int j = 0;
    for (int k = Math.max(N, key.length); k > 0; k--) {
      mt[i] = (mt[i] ^ ((mt[i - 1] ^ (mt[i - 1] >>> 30)) * 1664525)) + key[j] + j;
      i++;
      j++;
      if (i >= N) {
        mt[0] = mt[N - 1];
        i = 1;
      }
      if (j >= key.length) {
        j = 0;
      }
    }
    for (int k = N - 1; k > 0; k--) {
      mt[i] = (mt[i] ^ ((mt[i - 1] ^ (mt[i - 1] >>> 30)) * 1566083941)) - i;
      i++;
      if (i >= N) {
        mt[0] = mt[N - 1];
        i = 1;
      }
    }
    mt[0] = 0x80000000;
  }

  /** The next 32 random bits (genrand_uint32), as an unsigned value. */
  long nextUint32() {
    if (index >= N) {
      for (int k = 0; k < N; k++) {
        int y = (mt[k] & 0x80000000) | (mt[(k + 1) % N] & 0x7fffffff);
        mt[k] = mt[(k + M) % N] ^ (y >>> 1) ^ ((y & 1) != 0 ? 0x9908b0df : 0);
      }
      index = 0;
    }
    int y = mt[index++];
    y ^= y >>> 11;
    y ^= (y << 7) & 0x9d2c5680;
    y ^= (y << 15) & 0xefc60000;
    y ^= y >>> 18;
    return y & 0xffffffffL;
  }

  /** random.randint(a, b) for b - a < 2³¹: a + _randbelow(b - a + 1) by rejection on bit_length bits. */
  int randint(int a, int b) {
    long n = (long) b - a + 1;
    int k = 64 - Long.numberOfLeadingZeros(n);
    long r = nextUint32() >>> (32 - k);
    while (r >= n) {
      r = nextUint32() >>> (32 - k);
    }
    return (int) (a + r);
  }
}
