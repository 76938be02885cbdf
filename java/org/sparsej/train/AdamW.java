package org.sparsej.train;

import java.util.List;

/**
 * AdamW (Loshchilov and Hutter 2019) with bias correction and decoupled weight decay, the update of
 * torch.optim.AdamW: {@code p -= lr*wd*p; m = b1*m + (1-b1)*g; v = b2*v + (1-b2)*g^2;
 * p -= lr/(1-b1^t) * m / (sqrt(v)/sqrt(1-b2^t) + eps)}.
 *
 * <p>Masked: the moments are kept only for a parameter's {@link Parameter#kept()} entries (state proportional to
 * the kept weights, not the dense shape), and only those entries are ever written, so a pruned zero stays zero.
 */
public final class AdamW {
  /** The hyper-parameters; the learning rate comes with each step from the schedule. */
  public record Settings(float beta1, float beta2, float eps, float weightDecay) {
    /** torch's betas and eps; weight decay 0.01 (torch's default too). */
    public static Settings defaults() {
      return new Settings(0.9f, 0.999f, 1e-8f, 0.01f);
    }
  }

  private final List<Parameter> parameters;
  private final Settings settings;
  private final float[][] m;  // per parameter, one entry per trainable entry
  private final float[][] v;
  private long steps;

  public AdamW(List<Parameter> parameters, Settings settings) {
    this.parameters = List.copyOf(parameters);
    this.settings = settings;
    this.m = new float[this.parameters.size()][];
    this.v = new float[this.parameters.size()][];
    for (int i = 0; i < m.length; i++) {
      m[i] = new float[this.parameters.get(i).trainable()];
      v[i] = new float[this.parameters.get(i).trainable()];
    }
  }

  public Settings settings() {
    return settings;
  }

  /** Updates taken so far (t of the bias correction). */
  public long steps() {
    return steps;
  }

  /** One update of every parameter from its current gradient, at learning rate lr. */
  public void step(float lr) {
    steps++;
    double bc1 = 1 - Math.pow(settings.beta1(), steps);
    double bc2 = 1 - Math.pow(settings.beta2(), steps);
    float stepSize = (float) (lr / bc1);
    float sqrtBc2 = (float) Math.sqrt(bc2);
    for (int i = 0; i < m.length; i++) {
      Parameter p = parameters.get(i);
      float decay = p.decays() ? 1f - lr * settings.weightDecay() : 1f;
      update(p.value(), p.grad(), p.kept(), m[i], v[i], decay, stepSize, sqrtBc2);
    }
  }

  private void update(float[] value, float[] grad, int[] kept, float[] m, float[] v, float decay, float stepSize,
                      float sqrtBc2) {
    float b1 = settings.beta1();
    float b2 = settings.beta2();
    float eps = settings.eps();
    for (int j = 0; j < m.length; j++) {
      int k = kept == null ? j : kept[j];
      float g = grad[k];
      m[j] = b1 * m[j] + (1 - b1) * g;
      v[j] = b2 * v[j] + (1 - b2) * g * g;
      float denom = (float) Math.sqrt(v[j]) / sqrtBc2 + eps;
      value[k] = value[k] * decay - stepSize * m[j] / denom;
    }
  }

  /** Number of floats of optimizer state (2 per trainable entry). */
  public long stateFloats() {
    long n = 0;
    for (float[] a : m) {
      n += 2L * a.length;
    }
    return n;
  }

  /** The first moments of parameter i, one per trainable entry (live: a checkpoint reads and restores them). */
  float[] firstMoment(int i) {
    return m[i];
  }

  float[] secondMoment(int i) {
    return v[i];
  }

  void restoreSteps(long steps) {
    this.steps = steps;
  }
}
