package org.sparsej.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.SplittableRandom;
import java.util.concurrent.ForkJoinPool;
import java.util.function.DoubleSupplier;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.sparsej.backend.RopeStyle;
import org.sparsej.model.RopeScaling;
import org.sparsej.tensor.Tensor;

/**
 * Every op's backward against central finite differences of a double-precision forward written here, on small
 * random shapes (odd sizes, grouped-query heads). The loss is Σ r·f(inputs) for a random r, so the gradient the
 * backward gets is r itself.
 */
class OpGradientTest {
  private static final ForkJoinPool POOL = new ForkJoinPool(2);
  private final SplittableRandom random = new SplittableRandom(7);

  @AfterAll
  static void closePool() {
    POOL.shutdown();
  }

  @Test
  void rmsnorm() {
    int n = 3;
    int dim = 7;
    float eps = 1e-5f;
    double[] x = values(n * dim, 1.0);
    double[] g = values(dim, 1.0);
    double[] r = values(n * dim, 1.0);
    DoubleSupplier loss = () -> {
      double s = 0;
      for (int b = 0; b < n; b++) {
        double ss = 0;
        for (int i = 0; i < dim; i++) {
          ss += x[b * dim + i] * x[b * dim + i];
        }
        double rstd = 1 / Math.sqrt(ss / dim + eps);
        for (int i = 0; i < dim; i++) {
          s += r[b * dim + i] * x[b * dim + i] * rstd * g[i];
        }
      }
      return s;
    };
    Tensor dx = Tensor.of(new float[n * dim], n, dim);
    float[] dg = new float[dim];
    BlockBackward.rmsnorm(dx, dg, tensor(r, n, dim), tensor(x, n, dim), tensor(g, dim), n, dim, eps);
    assertClose(numeric(x, loss), dx.toFloatArray(), "dx");
    assertClose(numeric(g, loss), dg, "dg");
  }

  @ParameterizedTest(name = "{0} {1}")
  @CsvSource({"INTERLEAVED, default", "HALF, default", "HALF, llama3", "HALF, yarn", "INTERLEAVED, linear"})
  void rope(RopeStyle style, String scalingType) {
    int rows = 5;
    int heads = 3;
    int headSize = 6;
    int pos0 = 4;
    RopeScaling scaling = switch (scalingType) {
      case "llama3" -> RopeScaling.llama3(4, 8, 1, 4);
      case "yarn" -> RopeScaling.yarn(4, 8, 32, 1, Double.NaN, true);
      case "linear" -> RopeScaling.linear(2);
      default -> RopeScaling.NONE;
    };
    float[] freq = scaling.inverseFrequencies(10000f, headSize);
    float scale = scaling.cosSinScale();
    int width = heads * headSize;
    double[] x = values(rows * width, 1.0);
    double[] r = values(rows * width, 1.0);
    int half = headSize / 2;
    DoubleSupplier loss = () -> {
      double s = 0;
      for (int row = 0; row < rows; row++) {
        for (int h = 0; h < heads; h++) {
          for (int i = 0; i < half; i++) {
            int a = row * width + h * headSize + (style == RopeStyle.HALF ? i : 2 * i);
            int b = row * width + h * headSize + (style == RopeStyle.HALF ? i + half : 2 * i + 1);
            double angle = (pos0 + row) * freq[i];
            double c = Math.cos(angle) * scale;
            double sn = Math.sin(angle) * scale;
            s += r[a] * (x[a] * c - x[b] * sn) + r[b] * (x[a] * sn + x[b] * c);
          }
        }
      }
      return s;
    };
    Tensor grad = tensor(r, rows, width);
    BlockBackward.rope(grad, 0, rows, pos0, heads, headSize, freq, scale, style);
    assertClose(numeric(x, loss), grad.toFloatArray(), "dx");
  }

  @Test
  void swiglu() {
    int count = 13;
    double[] gate = values(count, 3.0);
    double[] up = values(count, 1.0);
    double[] r = values(count, 1.0);
    DoubleSupplier loss = () -> {
      double s = 0;
      for (int i = 0; i < count; i++) {
        s += r[i] * gate[i] / (1 + Math.exp(-gate[i])) * up[i];
      }
      return s;
    };
    Tensor dGate = Tensor.of(new float[count], count);
    Tensor dUp = Tensor.of(new float[count], count);
    BlockBackward.swiglu(dGate, dUp, tensor(r, count), tensor(gate, count), tensor(up, count), count);
    assertClose(numeric(gate, loss), dGate.toFloatArray(), "dgate");
    assertClose(numeric(up, loss), dUp.toFloatArray(), "dup");
  }

  @Test
  void linearAndBias() {
    int n = 5;
    int in = 7;
    int out = 3;
    double[] x = values(n * in, 1.0);
    double[] w = values(out * in, 1.0);
    double[] bias = values(out, 1.0);
    double[] r = values(n * out, 1.0);
    DoubleSupplier loss = () -> {
      double s = 0;
      for (int b = 0; b < n; b++) {
        for (int o = 0; o < out; o++) {
          double y = bias[o];
          for (int i = 0; i < in; i++) {
            y += w[o * in + i] * x[b * in + i];
          }
          s += r[b * out + o] * y;
        }
      }
      return s;
    };
    Tensor dx = Tensor.of(new float[n * in], n, in);
    Tensor dW = Tensor.of(new float[out * in], out, in);
    BlockBackward.linear(dx, dW, tensor(r, n, out), tensor(x, n, in), tensor(w, out, in), n, out, in);
    float[] db = new float[out];
    BlockBackward.bias(db, tensor(r, n, out), n, out);
    assertClose(numeric(x, loss), dx.toFloatArray(), "dx");
    assertClose(numeric(w, loss), dW.toFloatArray(), "dW");
    assertClose(numeric(bias, loss), db, "db");
  }

  @Test
  void embedding() {
    int vocab = 5;
    int dim = 3;
    int[] tokens = {4, 1, 4, 0};
    double[] table = values(vocab * dim, 1.0);
    double[] r = values(tokens.length * dim, 1.0);
    DoubleSupplier loss = () -> {
      double s = 0;
      for (int i = 0; i < tokens.length; i++) {
        for (int j = 0; j < dim; j++) {
          s += r[i * dim + j] * table[tokens[i] * dim + j];
        }
      }
      return s;
    };
    Tensor dTable = Tensor.of(new float[vocab * dim], vocab, dim);
    BlockBackward.embedding(dTable, tensor(r, tokens.length, dim), tokens, tokens.length, dim);
    assertClose(numeric(table, loss), dTable.toFloatArray(), "dtable");
  }

  @ParameterizedTest(name = "window {0}, query blocks of {1}")
  @CsvSource({"0, 64", "3, 64", "0, 2", "2, 2", "3, 3"})
  void groupedQueryAttention(int window, int block) {
    int sequences = 2;
    int seqLen = 5;
    int nHeads = 4;
    int nKvHeads = 2;
    int headSize = 3;
    int n = sequences * seqLen;
    int qDim = nHeads * headSize;
    int kvDim = nKvHeads * headSize;
    double[] q = values(n * qDim, 1.0);
    double[] k = values(n * kvDim, 1.0);
    double[] v = values(n * kvDim, 1.0);
    double[] r = values(n * qDim, 1.0);
    DoubleSupplier loss = () -> {
      double s = 0;
      double scale = 1 / Math.sqrt(headSize);
      for (int b = 0; b < sequences; b++) {
        for (int i = 0; i < seqLen; i++) {
          for (int h = 0; h < nHeads; h++) {
            int kvh = h / (nHeads / nKvHeads);
            int from = window > 0 ? Math.max(0, i - window + 1) : 0;
            double[] p = new double[seqLen];
            double max = Double.NEGATIVE_INFINITY;
            for (int j = from; j <= i; j++) {
              double dot = 0;
              for (int d = 0; d < headSize; d++) {
                dot += q[(b * seqLen + i) * qDim + h * headSize + d] * k[(b * seqLen + j) * kvDim + kvh * headSize + d];
              }
              p[j] = dot * scale;
              max = Math.max(max, p[j]);
            }
            double sum = 0;
            for (int j = from; j <= i; j++) {
              p[j] = Math.exp(p[j] - max);
              sum += p[j];
            }
            for (int d = 0; d < headSize; d++) {
              double o = 0;
              for (int j = from; j <= i; j++) {
                o += p[j] / sum * v[(b * seqLen + j) * kvDim + kvh * headSize + d];
              }
              s += r[(b * seqLen + i) * qDim + h * headSize + d] * o;
            }
          }
        }
      }
      return s;
    };
    Tensor dq = Tensor.of(new float[n * qDim], n, qDim).fill(Float.NaN);  // written, never read
    Tensor dk = Tensor.of(new float[n * kvDim], n, kvDim).fill(Float.NaN);
    Tensor dv = Tensor.of(new float[n * kvDim], n, kvDim).fill(Float.NaN);
    new AttentionBackward(seqLen, block, POOL).backward(dq, dk, dv, tensor(r, n, qDim), tensor(q, n, qDim),
        tensor(k, n, kvDim), tensor(v, n, kvDim), sequences, nHeads, nKvHeads, headSize, window);
    assertClose(numeric(q, loss), dq.toFloatArray(), "dq");
    assertClose(numeric(k, loss), dk.toFloatArray(), "dk");
    assertClose(numeric(v, loss), dv.toFloatArray(), "dv");
  }

  @Test
  void crossEntropy() {
    int n = 3;
    int vocab = 11;
    int[] targets = {3, 0, 10};
    double[] z = values(n * vocab, 3.0);
    DoubleSupplier loss = () -> {
      double s = 0;
      for (int b = 0; b < n; b++) {
        s += logSumExp(z, b * vocab, vocab, 1) - z[b * vocab + targets[b]];
      }
      return s / n;
    };
    Tensor dz = Tensor.of(new float[n * vocab], n, vocab);
    double value = Losses.crossEntropy(tensor(z, n, vocab), targets, vocab, n, 0, n, 1f, dz) / n;
    assertEquals(loss.getAsDouble(), value, 1e-5);
    assertClose(numeric(z, loss), dz.toFloatArray(), "dz");
  }

  @Test
  void distillation() {
    int n = 3;
    int vocab = 11;
    float temperature = 2f;
    double[] zs = values(n * vocab, 3.0);
    double[] zt = values(n * vocab, 3.0);
    DoubleSupplier loss = () -> {
      double s = 0;
      for (int b = 0; b < n; b++) {
        double ls = logSumExp(zs, b * vocab, vocab, temperature);
        double lt = logSumExp(zt, b * vocab, vocab, temperature);
        for (int j = 0; j < vocab; j++) {
          double logPt = zt[b * vocab + j] / temperature - lt;
          double logPs = zs[b * vocab + j] / temperature - ls;
          s += Math.exp(logPt) * (logPt - logPs);
        }
      }
      return s * temperature * temperature / n;
    };
    Tensor dz = Tensor.of(new float[n * vocab], n, vocab);
    double value = Losses.distillation(tensor(zs, n, vocab), tensor(zt, n, vocab), temperature, vocab, n, 0, n, 1f,
        dz) / n;
    assertEquals(loss.getAsDouble(), value, 1e-5);
    assertClose(numeric(zs, loss), dz.toFloatArray(), "dz");
    // Teacher == student: nothing to distil.
    Tensor same = tensor(zs, n, vocab);
    assertEquals(0, Losses.distillation(same, same, temperature, vocab, n, 0, n, 1f,
        Tensor.of(new float[n * vocab], n, vocab)), 1e-6);
  }

  @Test
  void squareHead() {
    int count = 17;
    double[] hs = values(count, 1.0);
    double[] ht = values(count, 1.0);
    DoubleSupplier loss = () -> {
      double diff = 0;
      double norm = 0;
      for (int i = 0; i < count; i++) {
        diff += (hs[i] - ht[i]) * (hs[i] - ht[i]);
        norm += ht[i] * ht[i];
      }
      return diff / norm;
    };
    Tensor dh = Tensor.of(new float[count], count);
    double value = Losses.squareHead(tensor(hs, count), tensor(ht, count), count, 1f, dh);
    assertEquals(loss.getAsDouble(), value, 1e-6);
    assertClose(numeric(hs, loss), dh.toFloatArray(), "dh");
    Tensor same = tensor(ht, count);
    assertEquals(0, Losses.squareHead(same, same, count, 1f, Tensor.of(new float[count], count)));
  }

  private static double logSumExp(double[] z, int off, int n, double temperature) {
    double max = Double.NEGATIVE_INFINITY;
    for (int j = 0; j < n; j++) {
      max = Math.max(max, z[off + j] / temperature);
    }
    double sum = 0;
    for (int j = 0; j < n; j++) {
      sum += Math.exp(z[off + j] / temperature - max);
    }
    return max + Math.log(sum);
  }

  /** Random values in (-scale, scale), rounded to float so that both sides see the same inputs. */
  private double[] values(int count, double scale) {
    double[] v = new double[count];
    for (int i = 0; i < count; i++) {
      v[i] = (float) ((random.nextDouble() * 2 - 1) * scale);
    }
    return v;
  }

  private static Tensor tensor(double[] v, int... shape) {
    float[] f = new float[v.length];
    for (int i = 0; i < v.length; i++) {
      f[i] = (float) v[i];
    }
    return Tensor.of(f, shape);
  }

  /** Central differences of loss in each entry of p (changed and restored in place). */
  private static double[] numeric(double[] p, DoubleSupplier loss) {
    double h = 1e-6;
    double[] g = new double[p.length];
    for (int i = 0; i < p.length; i++) {
      double keep = p[i];
      p[i] = keep + h;
      double up = loss.getAsDouble();
      p[i] = keep - h;
      double down = loss.getAsDouble();
      p[i] = keep;
      g[i] = (up - down) / (2 * h);
    }
    return g;
  }

  private static void assertClose(double[] expected, float[] actual, String what) {
    assertEquals(expected.length, actual.length, what);
    double scale = 0;
    for (double e : expected) {
      scale = Math.max(scale, Math.abs(e));
    }
    assertTrue(scale > 1e-3, what + ": the gradient is (nearly) zero, the check would be empty");
    for (int i = 0; i < expected.length; i++) {
      assertEquals(expected[i], actual[i], 1e-4 * scale + 1e-6, what + "[" + i + "]");
    }
  }
}
