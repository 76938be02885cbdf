package org.sparsej.spark;

import java.util.Iterator;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.function.Function;
import org.apache.spark.TaskContext;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.sparsej.api.Completion;
import org.sparsej.api.GenerationOptions;
import org.sparsej.api.Model;
import org.sparsej.api.Score;
import org.sparsej.spark.OrderedWindow.Pending;

/**
 * What a task does with its partition: every row goes to the executor's shared model, a window of rows in
 * flight at once, and comes back in order as the input row plus the result columns ({@link SparsejSpark}).
 * A row that fails gets its message in the error column; the other rows go on.
 */
final class PartitionRunner {
  /** Runs the scoring calls, which block, so that a task keeps several texts on the engine at once. */
  private static final ExecutorService SCORERS = Executors.newCachedThreadPool(r -> {
    Thread t = new Thread(r, "sparsej-spark-score");
    t.setDaemon(true);
    return t;
  });

  private PartitionRunner() { }

  static Iterator<Row> generate(Iterator<Row> rows, int promptIndex, SparkOptions o) {
    Model model = ExecutorModels.get(o);
    GenerationOptions g = o.generationOptions();
    return run(rows, o, row -> {
      String prompt = row.isNullAt(promptIndex) ? null : row.getString(promptIndex);
      if (prompt == null) {
        return done(withColumns(row, null, null, null, null, "the prompt is null"));
      }
      try {
        var generation = model.start(prompt, g);
        CompletableFuture<Row> out = generation.future().handle((c, error) -> error == null
            ? withColumns(row, c.text(), c.promptTokens(), c.completionTokens(), c.finishReason().openAiName(),
                null)
            : withColumns(row, null, generation.promptTokens(), null, null, message(error)));
        return new Pending<>(out, generation::cancel);
      } catch (RuntimeException e) {  // refused at once: beyond the context, bad parameters
        return done(withColumns(row, null, null, null, null, message(e)));
      }
    });
  }

  static Iterator<Row> score(Iterator<Row> rows, int textIndex, SparkOptions o) {
    Model model = ExecutorModels.get(o);
    return run(rows, o, row -> {
      String text = row.isNullAt(textIndex) ? null : row.getString(textIndex);
      if (text == null) {
        return done(withColumns(row, null, null, null, "the text is null"));
      }
      CompletableFuture<Row> out = CompletableFuture.supplyAsync(() -> model.score(text), SCORERS)
          .handle((Score s, Throwable error) -> error == null
              ? withColumns(row, s.logLikelihood(), s.perplexity(), s.tokens(), null)
              : withColumns(row, null, null, null, message(error)));
      return new Pending<>(out, () -> out.cancel(false));
    });
  }

  private static Iterator<Row> run(Iterator<Row> rows, SparkOptions o, Function<Row, Pending<Row>> start) {
    OrderedWindow<Row, Row> window = new OrderedWindow<>(rows, o.window(), start);
    TaskContext task = TaskContext.get();
    if (task != null) {  // a killed or failed task stops its rows on the engine
      task.addTaskCompletionListener((org.apache.spark.util.TaskCompletionListener) ctx -> window.cancel());
    }
    return window;
  }

  private static Pending<Row> done(Row row) {
    return new Pending<>(CompletableFuture.completedFuture(row), () -> { });
  }

  /** The input row's values followed by the result columns. */
  private static Row withColumns(Row row, Object... extra) {
    Object[] values = new Object[row.length() + extra.length];
    for (int i = 0; i < row.length(); i++) {
      values[i] = row.get(i);
    }
    System.arraycopy(extra, 0, values, row.length(), extra.length);
    return RowFactory.create(values);
  }

  /** The failure's own message (a CompletableFuture wraps it). */
  private static String message(Throwable error) {
    Throwable e = error;
    while ((e instanceof java.util.concurrent.CompletionException
        || e instanceof java.util.concurrent.ExecutionException) && e.getCause() != null) {
      e = e.getCause();
    }
    return e.getMessage() != null ? e.getMessage() : e.toString();
  }
}
