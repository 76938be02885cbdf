package org.sparsej.train;

import java.util.List;

/** Global-norm gradient clipping, as torch.nn.utils.clip_grad_norm_: one norm over every gradient together. */
public final class GradientClipping {
  private GradientClipping() {}

  /** The L2 norm of all gradients together, in double (NaN or infinite if any gradient is). */
  public static double globalNorm(List<Parameter> parameters) {
    double sum = 0;
    for (Parameter p : parameters) {
      for (float g : p.grad()) {
        sum += (double) g * g;
      }
    }
    return Math.sqrt(sum);
  }

  /**
   * Scales every gradient by maxNorm / (norm + 1e-6) when the global norm exceeds maxNorm; returns the norm
   * before clipping. A non-finite norm is returned as is and nothing is scaled (the trainer stops on it).
   */
  public static double clip(List<Parameter> parameters, double maxNorm) {
    double norm = globalNorm(parameters);
    if (!Double.isFinite(norm) || norm <= maxNorm) {
      return norm;
    }
    float scale = (float) (maxNorm / (norm + 1e-6));
    for (Parameter p : parameters) {
      float[] g = p.grad();
      for (int i = 0; i < g.length; i++) {
        g[i] *= scale;
      }
    }
    return norm;
  }
}
