package org.sparsej.format.gguf;

import java.nio.ByteBuffer;
import org.sparsej.format.Halfs;
import org.sparsej.tensor.Tensor;

/**
 * Dequantizes ggml's K-quants (super-blocks of 256 values) to F32, block layouts as in ggml-common.h and the
 * arithmetic of ggml's dequantize_row_q4_K / q5_K / q6_K. SparseJ runs them as F32 after load.
 */
final class KQuants {
  private KQuants() {}

  static void dequantize(GgmlType type, ByteBuffer raw, Tensor out, long n) {
    float[] y = new float[256];
    int bytes = type.blockBytes();
    for (long k = 0; k < n / 256; k++) {
      int p = Math.toIntExact(k * bytes);
      switch (type) {
        case Q4_K -> q4k(raw, p, y);
        case Q5_K -> q5k(raw, p, y);
        case Q6_K -> q6k(raw, p, y);
        default -> throw new IllegalArgumentException(type + " is not a K-quant SparseJ reads");
      }
      for (int j = 0; j < 256; j++) {
        out.setFloat(k * 256 + j, y[j]);
      }
    }
  }

  /** The 6-bit scale and min of sub-block j from the 12 packed bytes at s (ggml's get_scale_min_k4). */
  private static int[] scaleMin(ByteBuffer b, int s, int j) {
    if (j < 4) {
      return new int[] {u8(b, s + j) & 63, u8(b, s + j + 4) & 63};
    }
    return new int[] {(u8(b, s + j + 4) & 0xf) | ((u8(b, s + j - 4) >> 6) << 4),
        (u8(b, s + j + 4) >> 4) | ((u8(b, s + j) >> 6) << 4)};
  }

  /** block_q4_K: d, dmin (f16), scales[12], qs[128]: value = d·scale·q - dmin·min over 8 sub-blocks of 32. */
  private static void q4k(ByteBuffer b, int p, float[] y) {
    float d = Halfs.f16ToF32(b.getShort(p));
    float dmin = Halfs.f16ToF32(b.getShort(p + 2));
    int scales = p + 4;
    int qs = p + 16;
    for (int j = 0, is = 0, o = 0; j < 256; j += 64, is += 2, qs += 32) {
      int[] a = scaleMin(b, scales, is);
      int[] c = scaleMin(b, scales, is + 1);
      float d1 = d * a[0];
      float m1 = dmin * a[1];
      float d2 = d * c[0];
      float m2 = dmin * c[1];
      for (int l = 0; l < 32; l++) {
        y[o++] = d1 * (u8(b, qs + l) & 0xf) - m1;
      }
      for (int l = 0; l < 32; l++) {
        y[o++] = d2 * (u8(b, qs + l) >> 4) - m2;
      }
    }
  }

  /** block_q5_K: d, dmin, scales[12], qh[32] (the fifth bits), qs[128]. */
  private static void q5k(ByteBuffer b, int p, float[] y) {
    float d = Halfs.f16ToF32(b.getShort(p));
    float dmin = Halfs.f16ToF32(b.getShort(p + 2));
    int scales = p + 4;
    int qh = p + 16;
    int ql = p + 48;
    int u1 = 1;
    int u2 = 2;
    for (int j = 0, is = 0, o = 0; j < 256; j += 64, is += 2, ql += 32, u1 <<= 2, u2 <<= 2) {
      int[] a = scaleMin(b, scales, is);
      int[] c = scaleMin(b, scales, is + 1);
      float d1 = d * a[0];
      float m1 = dmin * a[1];
      float d2 = d * c[0];
      float m2 = dmin * c[1];
      for (int l = 0; l < 32; l++) {
        y[o++] = d1 * ((u8(b, ql + l) & 0xf) + ((u8(b, qh + l) & u1) != 0 ? 16 : 0)) - m1;
      }
      for (int l = 0; l < 32; l++) {
        y[o++] = d2 * ((u8(b, ql + l) >> 4) + ((u8(b, qh + l) & u2) != 0 ? 16 : 0)) - m2;
      }
    }
  }

  /** block_q6_K: ql[128] (low 4 bits), qh[64] (high 2 bits), scales[16] (int8), d (f16); q in -32..31. */
  private static void q6k(ByteBuffer b, int p, float[] y) {
    float d = Halfs.f16ToF32(b.getShort(p + 208));
    int ql = p;
    int qh = p + 128;
    int sc = p + 192;
    for (int n = 0; n < 256; n += 128, ql += 64, qh += 32, sc += 8) {
      for (int l = 0; l < 32; l++) {
        int is = l / 16;
        int h = u8(b, qh + l);
        int q1 = ((u8(b, ql + l) & 0xf) | ((h & 3) << 4)) - 32;
        int q2 = ((u8(b, ql + l + 32) & 0xf) | (((h >> 2) & 3) << 4)) - 32;
        int q3 = ((u8(b, ql + l) >> 4) | (((h >> 4) & 3) << 4)) - 32;
        int q4 = ((u8(b, ql + l + 32) >> 4) | (((h >> 6) & 3) << 4)) - 32;
        y[n + l] = d * b.get(sc + is) * q1;
        y[n + l + 32] = d * b.get(sc + is + 2) * q2;
        y[n + l + 64] = d * b.get(sc + is + 4) * q3;
        y[n + l + 96] = d * b.get(sc + is + 6) * q4;
      }
    }
  }

  private static int u8(ByteBuffer b, int i) {
    return b.get(i) & 0xff;
  }
}
