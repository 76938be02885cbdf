package org.sparsej.train;

/** What a gradient step minimises (the {@code --loss} of {@code sparsej finetune}). */
public enum LossKind {
  /** Next-token cross-entropy on the data. */
  CE,
  /** KL(teacher ‖ student) of the next-token distributions at a temperature, optionally mixed with CE. */
  KD,
  /** KD plus SquareHead: per block, the normalised MSE between student and teacher hidden states. */
  KD_SQUAREHEAD;

  /** ce, kd or kd+squarehead. */
  public static LossKind parse(String text) {
    switch (text.trim().toLowerCase(java.util.Locale.ROOT)) {
      case "ce": return CE;
      case "kd": return KD;
      case "kd+squarehead": return KD_SQUAREHEAD;
      default:
        throw new org.sparsej.util.SparsejException("unknown loss '" + text + "' (expected ce, kd or kd+squarehead)");
    }
  }

  public boolean needsTeacher() {
    return this != CE;
  }
}
