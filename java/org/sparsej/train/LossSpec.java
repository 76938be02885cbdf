package org.sparsej.train;

import org.sparsej.util.SparsejException;

/**
 * A loss and its weights. The total a step minimises is
 * <pre>
 *   CE:             ce
 *   KD:             kd + ceWeight · ce
 *   KD_SQUAREHEAD:  kd + ceWeight · ce + squareheadWeight · squarehead
 * </pre>
 * with kd = T² · KL(teacher ‖ student) at temperature T, and squarehead the mean over blocks of each block's
 * normalised MSE (Kurtic et al. 2023). The three terms are added as in that paper (task loss + logit distillation
 * + feature distillation).
 *
 * @param temperature      T of the distillation softmaxes (1 for CE, where it is unused)
 * @param ceWeight         weight of the cross-entropy term (1 for CE)
 * @param squareheadWeight weight of the SquareHead term (0 unless KD_SQUAREHEAD)
 */
public record LossSpec(LossKind kind, float temperature, float ceWeight, float squareheadWeight) {
  public LossSpec {
    if (kind == null) {
      throw new SparsejException("loss: no kind");
    }
    if (!(temperature > 0) || Float.isInfinite(temperature)) {
      throw new SparsejException("loss: temperature " + temperature + " must be a positive number");
    }
    if (!(ceWeight >= 0) || Float.isInfinite(ceWeight) || !(squareheadWeight >= 0)
        || Float.isInfinite(squareheadWeight)) {
      throw new SparsejException("loss: weights must be non-negative numbers (ce " + ceWeight + ", squarehead "
          + squareheadWeight + ")");
    }
  }

  /**
   * CE: plain cross-entropy. KD: T = 2 (softer targets carry more of the teacher's ranking; the T² factor keeps
   * the gradient's size) with a quarter of CE mixed in to keep the student on the data. KD_SQUAREHEAD: the same
   * plus SquareHead at weight 1, the paper's unweighted sum.
   */
  public static LossSpec defaults(LossKind kind) {
    switch (kind) {
      case CE: return new LossSpec(kind, 1f, 1f, 0f);
      case KD: return new LossSpec(kind, 2f, 0.25f, 0f);
      default: return new LossSpec(kind, 2f, 0.25f, 1f);
    }
  }

  /** The weight of the CE term in the total. */
  float ceTermWeight() {
    return kind == LossKind.CE ? 1f : ceWeight;
  }

  /** The weight of the SquareHead term in the total. */
  float squareheadTermWeight() {
    return kind == LossKind.KD_SQUAREHEAD ? squareheadWeight : 0f;
  }
}
