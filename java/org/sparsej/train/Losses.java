package org.sparsej.train;

import java.nio.FloatBuffer;
import org.sparsej.tensor.Tensor;

/**
 * The training losses over a batch of n token rows and their gradients. Each returns its value and adds
 * {@code weight} times its gradient to the gradient tensor it is given, so a mixed loss is a sum of calls.
 * Logit losses are means over the n target tokens.
 */
final class Losses {
  private Losses() {}

  /**
   * Next-token cross-entropy of rows [r0, r1): returns Σ −log softmax(z_r)[y_r] (divide by n for the mean); adds
   * weight · (softmax(z_r) − onehot(y_r)) / n to dz.
   */
  static double crossEntropy(Tensor logits, int[] targets, int vocab, int n, int r0, int r1, float weight,
                             Tensor dLogits) {
    FloatBuffer z = logits.floats();
    FloatBuffer dz = dLogits.floats();
    float[] p = new float[vocab];
    double loss = 0;
    for (int r = r0; r < r1; r++) {
      int row = r * vocab;
      double logSum = softmax(z, row, vocab, 1f, p);
      int y = targets[r];
      loss += logSum - z.get(row + y);
      if (weight != 0f) {
        float k = weight / n;
        for (int j = 0; j < vocab; j++) {
          dz.put(row + j, dz.get(row + j) + k * (p[j] - (j == y ? 1f : 0f)));
        }
      }
    }
    return loss;
  }

  /**
   * Knowledge distillation at temperature T over rows [r0, r1): returns T² · Σ_r KL(p_t ‖ p_s) with
   * p = softmax(z / T) (divide by n for the mean). The T² keeps the gradient's size independent of T (Hinton et
   * al. 2015); adds weight · T · (p_s − p_t) / n to dz_s, the gradient of T²·KL with respect to the student logits.
   */
  static double distillation(Tensor student, Tensor teacher, float temperature, int vocab, int n, int r0, int r1,
                             float weight, Tensor dLogits) {
    FloatBuffer zs = student.floats();
    FloatBuffer zt = teacher.floats();
    FloatBuffer dz = dLogits.floats();
    float[] ps = new float[vocab];
    float[] pt = new float[vocab];
    double loss = 0;
    for (int r = r0; r < r1; r++) {
      int row = r * vocab;
      double logSumS = softmax(zs, row, vocab, temperature, ps);
      double logSumT = softmax(zt, row, vocab, temperature, pt);
      // KL = Σ p_t (log p_t − log p_s), log p = z/T − logSum.
      double kl = 0;
      for (int j = 0; j < vocab; j++) {
        if (pt[j] > 0f) {
          kl += pt[j] * ((zt.get(row + j) / temperature - logSumT) - (zs.get(row + j) / temperature - logSumS));
        }
      }
      loss += kl * temperature * temperature;
      float k = weight * temperature / n;
      for (int j = 0; j < vocab; j++) {
        dz.put(row + j, dz.get(row + j) + k * (ps[j] - pt[j]));
      }
    }
    return loss;
  }

  /** p = softmax(z[row..row+vocab) / T); returns log Σ exp(z/T) (so log p_j = z_j/T − it). */
  private static double softmax(FloatBuffer z, int row, int vocab, float temperature, float[] p) {
    float inv = 1f / temperature;
    float max = Float.NEGATIVE_INFINITY;
    for (int j = 0; j < vocab; j++) {
      max = Math.max(max, z.get(row + j) * inv);
    }
    double sum = 0;
    for (int j = 0; j < vocab; j++) {
      float e = (float) Math.exp(z.get(row + j) * inv - max);
      p[j] = e;
      sum += e;
    }
    float norm = (float) (1.0 / sum);
    for (int j = 0; j < vocab; j++) {
      p[j] *= norm;
    }
    return max + Math.log(sum);
  }

  /**
   * SquareHead (Kurtic et al. 2023, "Sparse Fine-tuning for Inference Acceleration of Large Language Models",
   * arXiv:2310.06927, section 3): one block's hidden states h_s (student) and h_t (teacher) [n][dim] give the
   * normalised MSE ‖h_s − h_t‖² / ‖h_t‖², sums over the batch's rows and features (MSE(f_t, f_s) / MSE(f_t, 0)).
   * Returns it; adds weight · 2(h_s − h_t) / ‖h_t‖² to dh.
   */
  static double squareHead(Tensor hs, Tensor ht, long count, float weight, Tensor dh) {
    FloatBuffer s = hs.floats();
    FloatBuffer t = ht.floats();
    FloatBuffer d = dh.floats();
    int size = Math.toIntExact(count);
    double diff = 0;
    double norm = 0;
    for (int i = 0; i < size; i++) {
      double e = s.get(i) - t.get(i);
      diff += e * e;
      norm += (double) t.get(i) * t.get(i);
    }
    if (norm == 0) {
      return 0;  // a teacher of all-zero states has nothing to match
    }
    float k = (float) (2.0 * weight / norm);
    for (int i = 0; i < size; i++) {
      d.put(i, d.get(i) + k * (s.get(i) - t.get(i)));
    }
    return diff / norm;
  }
}
