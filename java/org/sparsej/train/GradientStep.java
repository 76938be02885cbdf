package org.sparsej.train;

import java.nio.FloatBuffer;
import java.util.List;
import java.util.concurrent.ForkJoinPool;
import java.util.stream.IntStream;
import org.sparsej.backend.Backend;
import org.sparsej.backend.Backends;
import org.sparsej.backend.CpuBackend;
import org.sparsej.backend.JavaBackend;
import org.sparsej.backend.PagedKv;
import org.sparsej.model.ForwardPass;
import org.sparsej.model.LlamaConfig;
import org.sparsej.model.LlamaModel;
import org.sparsej.model.TransformerBlock;
import org.sparsej.tensor.DType;
import org.sparsej.tensor.Tensor;
import org.sparsej.train.TrainableModel.Layer;
import org.sparsej.train.TrainableModel.Slot;
import org.sparsej.util.SparsejException;

/**
 * One forward + backward over a batch; the teacher (same config/vocab) may be null for CE. The forward is the
 * model's one {@link ForwardPass}, watched block by block by {@link Activations}; the backward is
 * {@link BlockBackward} and {@link AttentionBackward} op by op in reverse, llm.c style. Not thread-safe.
 */
public final class GradientStep implements AutoCloseable {
  private final TrainableModel student;
  private final LossSpec loss;
  private final LlamaConfig c;
  private final int batch;
  private final int seqLen;
  private final int n;
  private final Backend backend;
  private final ForwardPass studentPass;
  private final ForwardPass teacherPass;  // null for CE
  private final Tensor[] pages;
  private final PagedKv kv;
  private final int[] logitRows;
  private final Activations[] acts;
  private final Activations[] teacherActs;  // block outputs only; null unless SquareHead
  private final TransformerBlock.Observer[] teacherObservers;
  private final AttentionBackward attention;
  private final ForkJoinPool pool;
  private final float[] ropeFrequencies;
  // Gradients of the activations: dx is the residual stream's, the rest scratch reused by every block.
  private final Tensor dx;
  private final Tensor dxb;
  private final Tensor dAtt;
  private final Tensor dq;
  private final Tensor dk;
  private final Tensor dv;
  private final Tensor dAct;
  private final Tensor dGate;
  private final Tensor dUp;
  private final Tensor dLogits;
  private final Tensor finalNormed;
  // Off-heap gradients of the matrices (OpenBLAS writes them), copied to Parameter.grad at the end.
  private final Tensor embeddingGrad;
  private final Tensor classifierGrad;  // null when tied: the embedding's gradient takes both
  private final Tensor[][] linearGrads;

  public GradientStep(TrainableModel student, LlamaModel teacherOrNull, LossSpec loss, int threads, int batch,
                      int seqLen) {
    this(student, teacherOrNull, loss, threads, batch, seqLen, defaultBackend(threads));
  }

  /** As the public constructor, the forward on the given backend (java or cpu: host memory), which it closes. */
  GradientStep(TrainableModel student, LlamaModel teacherOrNull, LossSpec loss, int threads, int batch, int seqLen,
               Backend backend) {
    this.student = student;
    this.loss = loss;
    this.c = student.config();
    if (batch < 1 || seqLen < 1) {
      throw new SparsejException("gradient step: batch " + batch + " and sequence length " + seqLen
          + " must be positive");
    }
    if (seqLen > c.seqLen()) {
      throw new SparsejException("gradient step: sequence length " + seqLen + " exceeds the model's context "
          + c.seqLen());
    }
    if ((long) batch * seqLen * Math.max(c.vocabSize(), c.hiddenDim()) > Integer.MAX_VALUE) {
      throw new SparsejException("gradient step: batch " + batch + " x " + seqLen + " tokens is too large");
    }
    if (loss.kind().needsTeacher()) {
      checkTeacher(c, teacherOrNull, loss.kind());
    }
    this.batch = batch;
    this.seqLen = seqLen;
    this.n = batch * seqLen;
    this.backend = backend;
    Blas.threads(threads);
    this.pool = new ForkJoinPool(Math.max(1, threads));
    this.studentPass = new ForwardPass(student.live(), backend, n);
    this.teacherPass = loss.kind().needsTeacher() ? new ForwardPass(teacherOrNull, backend, n) : null;
    // One KV page per sequence, shared by student and teacher (their passes do not overlap).
    this.pages = new Tensor[batch];
    PagedKv.Builder kb = PagedKv.builder(c.nLayers(), seqLen, c.kvDim());
    for (int b = 0; b < batch; b++) {
      pages[b] = backend.allocate(DType.F32, Math.toIntExact(PagedKv.pageFloats(c.nLayers(), seqLen, c.kvDim())));
      kb.add(seqLen, 0, new Tensor[] {pages[b]}, 1);
    }
    this.kv = kb.build();
    this.logitRows = IntStream.range(0, n).toArray();
    this.acts = new Activations[c.nLayers()];
    for (int l = 0; l < acts.length; l++) {
      acts[l] = new Activations(c, n, true);
    }
    boolean squarehead = loss.kind() == LossKind.KD_SQUAREHEAD;
    this.teacherActs = squarehead ? new Activations[c.nLayers()] : null;
    this.teacherObservers = squarehead ? new TransformerBlock.Observer[c.nLayers()] : null;
    for (int l = 0; squarehead && l < c.nLayers(); l++) {
      teacherActs[l] = new Activations(c, n, false);
      teacherObservers[l] = teacherActs[l];
    }
    this.attention = new AttentionBackward(seqLen, pool);
    this.ropeFrequencies = c.ropeScaling().inverseFrequencies(c.ropeTheta(), c.headSize());
    dx = f32(n, c.dim());
    dxb = f32(n, c.dim());
    finalNormed = f32(n, c.dim());
    dAtt = f32(n, c.qDim());
    dq = f32(n, c.qDim());
    dk = f32(n, c.kvDim());
    dv = f32(n, c.kvDim());
    dAct = f32(n, c.hiddenDim());
    dGate = f32(n, c.hiddenDim());
    dUp = f32(n, c.hiddenDim());
    dLogits = f32(n, c.vocabSize());
    embeddingGrad = Tensor.allocate(DType.F32, student.embedding().p.shape());
    classifierGrad = student.classifier() == null ? null
        : Tensor.allocate(DType.F32, student.classifier().p.shape());
    linearGrads = new Tensor[c.nLayers()][7];
    for (int l = 0; l < c.nLayers(); l++) {
      for (int i = 0; i < 7; i++) {
        linearGrads[l][i] = Tensor.allocate(DType.F32, student.layers().get(l).linears[i].p.shape());
      }
    }
  }

  private static Backend defaultBackend(int threads) {
    return Backends.unavailableReason("cpu") == null ? new CpuBackend(threads) : new JavaBackend(threads);
  }

  /** The teacher must share what the losses compare: vocabulary always, and the blocks' shape for SquareHead. */
  private static void checkTeacher(LlamaConfig s, LlamaModel teacher, LossKind kind) {
    if (teacher == null) {
      throw new SparsejException("loss " + kind.name().toLowerCase() + " needs a teacher model");
    }
    LlamaConfig t = teacher.config();
    if (t.vocabSize() != s.vocabSize()) {
      throw new SparsejException("teacher vocabulary of " + t.vocabSize() + " tokens differs from the student's "
          + s.vocabSize());
    }
    boolean same = t.dim() == s.dim() && t.hiddenDim() == s.hiddenDim() && t.nLayers() == s.nLayers()
        && t.nHeads() == s.nHeads() && t.nKvHeads() == s.nKvHeads() && t.headSize() == s.headSize();
    if (!same) {
      throw new SparsejException("teacher architecture (" + t + ") differs from the student's (" + s + ")");
    }
  }

  private static Tensor f32(int rows, int cols) {
    return Tensor.allocate(DType.F32, rows, cols);
  }

  /**
   * tokens[b] has seqLen+1 ids: inputs [0, seqLen), targets [1, seqLen]. Zeroes every Parameter.grad, then fills
   * it with d(loss)/d(value) (mean over the batch's target tokens); entries outside kept() stay 0.
   */
  public LossReport run(int[][] tokens) {
    int[] inputs = new int[n];
    int[] targets = new int[n];
    splitTokens(tokens, inputs, targets);
    for (Parameter p : student.parameters()) {
      p.zeroGrad();
    }
    student.sync();
    Tensor logits = studentPass.forward(inputs, kv, logitRows, n, acts);
    Tensor teacherLogits = teacherPass == null ? null
        : teacherPass.forward(inputs, kv, logitRows, n, teacherObservers);

    // Logit losses and their gradient dLogits, rows split over the threads.
    zero(dLogits);
    float ceWeight = loss.ceTermWeight();
    int vocab = c.vocabSize();
    int parts = Math.max(1, pool.getParallelism());
    double[] ce = new double[parts];
    double[] kd = new double[parts];
    pool.submit(() -> IntStream.range(0, parts).parallel().forEach(p -> {
      int r0 = (int) ((long) n * p / parts);
      int r1 = (int) ((long) n * (p + 1) / parts);
      ce[p] = Losses.crossEntropy(logits, targets, vocab, n, r0, r1, ceWeight, dLogits);
      if (teacherLogits != null) {
        kd[p] = Losses.distillation(logits, teacherLogits, loss.temperature(), vocab, n, r0, r1, 1f, dLogits);
      }
    })).join();
    double ceMean = sum(ce) / n;
    double kdMean = sum(kd) / n;

    // Classifier and final norm: logits = Wcls · rmsnorm(x_L).
    Tensor xFinal = acts[c.nLayers() - 1].xOut;
    BlockBackward.rmsnormForward(finalNormed, xFinal, student.finalNorm().live, n, c.dim(), c.normEps());
    Slot cls = student.classifier() == null ? student.embedding() : student.classifier();
    Tensor clsGrad = classifierGrad == null ? embeddingGrad : classifierGrad;
    zero(dxb);
    zero(embeddingGrad);
    if (classifierGrad != null) {
      zero(classifierGrad);
    }
    BlockBackward.linear(dxb, clsGrad, dLogits, finalNormed, cls.live, n, vocab, c.dim());
    zero(dx);
    BlockBackward.rmsnorm(dx, student.finalNorm().p.grad(), dxb, xFinal, student.finalNorm().live, n, c.dim(),
        c.normEps());

    // The blocks in reverse; SquareHead adds its gradient to each block's output on the way.
    double squarehead = 0;
    float shWeight = loss.squareheadTermWeight();
    for (int l = c.nLayers() - 1; l >= 0; l--) {
      if (teacherActs != null) {
        squarehead += Losses.squareHead(acts[l].xOut, teacherActs[l].xOut, (long) n * c.dim(),
            shWeight / c.nLayers(), dx);
      }
      blockBackward(l);
    }
    squarehead /= c.nLayers();
    BlockBackward.embedding(embeddingGrad, dx, inputs, n, c.dim());
    copyGradients();
    double total = ceWeight * ceMean + (teacherLogits != null ? kdMean : 0) + shWeight * squarehead;
    return new LossReport(total, ceMean, kdMean, squarehead, n);
  }

  /** dx holds d(loss)/d(block l's output); leaves d(loss)/d(its input) there, adding the weights' gradients. */
  private void blockBackward(int l) {
    Activations a = acts[l];
    Layer w = student.layers().get(l);
    Tensor[] g = linearGrads[l];
    int dim = c.dim();
    int hidden = c.hiddenDim();
    int qDim = c.qDim();
    int kvDim = c.kvDim();
    // MLP: out = xMid + w2 · (silu(w1·xn) ∘ w3·xn), xn = rmsnorm(xMid).
    zero(dAct);
    BlockBackward.linear(dAct, g[5], dx, a.act, w.w2().live, n, dim, hidden);
    BlockBackward.swiglu(dGate, dUp, dAct, a.gate, a.up, (long) n * hidden);
    zero(dxb);
    BlockBackward.linear(dxb, g[4], dGate, a.xnFfn, w.w1().live, n, hidden, dim);
    BlockBackward.linear(dxb, g[6], dUp, a.xnFfn, w.w3().live, n, hidden, dim);
    BlockBackward.rmsnorm(dx, w.ffnNorm.p.grad(), dxb, a.xMid, w.ffnNorm.live, n, dim, c.normEps());
    // Attention: xMid = xIn + wo · attention(rope(wq·xn + bq), rope(wk·xn + bk), wv·xn + bv), xn = rmsnorm(xIn).
    zero(dAtt);
    BlockBackward.linear(dAtt, g[3], dx, a.att, w.wo().live, n, dim, qDim);
    attention.backward(dq, dk, dv, dAtt, a.q, a.k, a.v, batch, c.nHeads(), c.nKvHeads(), c.headSize(),
        c.slidingWindow());
    float scale = c.ropeScaling().cosSinScale();
    for (int b = 0; b < batch; b++) {
      BlockBackward.rope(dq, (long) b * seqLen * qDim, seqLen, 0, c.nHeads(), c.headSize(), ropeFrequencies, scale,
          c.ropeStyle());
      BlockBackward.rope(dk, (long) b * seqLen * kvDim, seqLen, 0, c.nKvHeads(), c.headSize(), ropeFrequencies,
          scale, c.ropeStyle());
    }
    if (w.hasBiases()) {
      BlockBackward.bias(w.bq.p.grad(), dq, n, qDim);
      BlockBackward.bias(w.bk.p.grad(), dk, n, kvDim);
      BlockBackward.bias(w.bv.p.grad(), dv, n, kvDim);
    }
    zero(dxb);
    BlockBackward.linear(dxb, g[0], dq, a.xnAtt, w.wq().live, n, qDim, dim);
    BlockBackward.linear(dxb, g[1], dk, a.xnAtt, w.wk().live, n, kvDim, dim);
    BlockBackward.linear(dxb, g[2], dv, a.xnAtt, w.wv().live, n, kvDim, dim);
    BlockBackward.rmsnorm(dx, w.attentionNorm.p.grad(), dxb, a.xIn, w.attentionNorm.live, n, dim, c.normEps());
  }

  private void splitTokens(int[][] tokens, int[] inputs, int[] targets) {
    if (tokens.length != batch) {
      throw new SparsejException("gradient step: " + tokens.length + " sequences for a batch of " + batch);
    }
    for (int b = 0; b < batch; b++) {
      if (tokens[b].length != seqLen + 1) {
        throw new SparsejException("gradient step: sequence " + b + " has " + tokens[b].length + " ids, expected "
            + (seqLen + 1));
      }
      for (int t = 0; t <= seqLen; t++) {
        int id = tokens[b][t];
        if (id < 0 || id >= c.vocabSize()) {
          throw new SparsejException("gradient step: token id " + id + " outside the vocabulary of "
              + c.vocabSize());
        }
      }
      System.arraycopy(tokens[b], 0, inputs, b * seqLen, seqLen);
      System.arraycopy(tokens[b], 1, targets, b * seqLen, seqLen);
    }
  }

  /** The matrices' off-heap gradients into Parameter.grad, only at kept entries (the mask's zeros stay 0). */
  private void copyGradients() {
    copyGradient(student.embedding().p, embeddingGrad);
    if (classifierGrad != null) {
      copyGradient(student.classifier().p, classifierGrad);
    }
    List<Layer> layers = student.layers();
    for (int l = 0; l < layers.size(); l++) {
      for (int i = 0; i < 7; i++) {
        copyGradient(layers.get(l).linears[i].p, linearGrads[l][i]);
        zero(linearGrads[l][i]);
      }
    }
  }

  private static void copyGradient(Parameter p, Tensor g) {
    FloatBuffer f = g.floats();
    float[] grad = p.grad();
    int[] kept = p.kept();
    if (kept == null) {
      f.get(grad);
    } else {
      for (int i : kept) {
        grad[i] = f.get(i);
      }
    }
  }

  private static final float[] ZEROS = new float[1 << 14];

  private static void zero(Tensor t) {
    FloatBuffer f = t.floats();
    while (f.hasRemaining()) {
      f.put(ZEROS, 0, Math.min(ZEROS.length, f.remaining()));
    }
  }

  private static double sum(double[] v) {
    double s = 0;
    for (double x : v) {
      s += x;
    }
    return s;
  }

  @Override
  public void close() {
    studentPass.close();
    if (teacherPass != null) {
      teacherPass.close();
    }
    for (Tensor p : pages) {
      backend.free(p);
    }
    pool.shutdown();
    backend.close();
  }
}
