package org.sparsej.train;

import java.util.Arrays;
import java.util.SplittableRandom;
import org.sparsej.util.SparsejException;

/**
 * A tokenized text cut into a training part and a held-out tail, and batches of random training windows.
 *
 * <p>Each window is [BOS] + seqLen consecutive ids from a random offset of the training part, seqLen + 1 ids in
 * all (inputs [0, seqLen), targets [1, seqLen]); BOS first because perplexity is scored that way too. The
 * windows of step s depend only on (seed, s), so a resumed run draws exactly the batches the first would have:
 * the only random state a checkpoint needs is the step.
 */
public final class TrainingData {
  private final int[] train;
  private final int[] heldOut;
  private final int bos;
  private final int seqLen;
  private final int batch;
  private final long seed;

  /**
   * @param ids           the text's ids, no BOS
   * @param heldOutTokens how many ids at the end are held out for perplexity (not trained on); at most a tenth of
   *                      the text is held out, whatever is asked
   */
  public TrainingData(int[] ids, int bos, int seqLen, int batch, int heldOutTokens, long seed) {
    if (seqLen < 1 || batch < 1) {
      throw new IllegalArgumentException("seqLen " + seqLen + ", batch " + batch);
    }
    int held = Math.max(0, Math.min(heldOutTokens, ids.length / 10));
    int trainTokens = ids.length - held;
    long needed = (long) batch * seqLen;  // one batch of windows that need not overlap
    if (trainTokens < needed || trainTokens < seqLen + 1) {
      throw new SparsejException(String.format("too little data for one batch: %d tokens to train on (of %d, "
          + "%d held out), a batch of %d x %d needs at least %d", trainTokens, ids.length, held, batch, seqLen,
          Math.max(needed, seqLen + 1L)));
    }
    this.train = Arrays.copyOf(ids, trainTokens);
    this.heldOut = Arrays.copyOfRange(ids, trainTokens, ids.length);
    this.bos = bos;
    this.seqLen = seqLen;
    this.batch = batch;
    this.seed = seed;
  }

  /** The batch of update number {@code step}: batch windows of seqLen + 1 ids. */
  public int[][] batch(long step) {
    // One generator per step from (seed, step): reproducible and resumable. The odd constant is not
    // SplittableRandom's own increment, so the streams of neighbouring steps do not overlap.
    SplittableRandom random = new SplittableRandom(seed + step * 0x632BE59BD9B4E019L);
    int[][] tokens = new int[batch][seqLen + 1];
    int offsets = train.length - seqLen + 1;  // windows of seqLen ids that fit
    for (int b = 0; b < batch; b++) {
      int start = random.nextInt(offsets);
      tokens[b][0] = bos;
      System.arraycopy(train, start, tokens[b], 1, seqLen);
    }
    return tokens;
  }

  /** The held-out ids (no BOS), empty when none were held out. */
  public int[] heldOut() {
    return heldOut.clone();
  }

  public int trainTokens() {
    return train.length;
  }

  public int bos() {
    return bos;
  }

  public int seqLen() {
    return seqLen;
  }

  public int batchSize() {
    return batch;
  }
}
