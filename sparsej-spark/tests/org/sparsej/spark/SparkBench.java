package org.sparsej.spark;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Encoders;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.sparsej.api.Completion;
import org.sparsej.api.GenerationOptions;
import org.sparsej.api.Model;
import org.sparsej.api.ModelOptions;

/**
 * docs/spark.md's figures: rows/s and tokens/s of a local[N] Spark job over the same prompts as a plain loop over
 * the Java API (one request at a time), for several slot counts, alternating engines in each round. Run by
 * ci/bench-spark.sh (under flock /tmp/sparsej-bench.lock); not a test.
 *
 * <p>Arguments: model prompts max-tokens threads master rounds slots...
 */
public final class SparkBench {
  private SparkBench() { }

  public static void main(String[] args) throws Exception {
    Path model = Path.of(args[0]);
    int rows = Integer.parseInt(args[1]);
    int maxTokens = Integer.parseInt(args[2]);
    int threads = Integer.parseInt(args[3]);
    String master = args[4];
    int rounds = Integer.parseInt(args[5]);
    List<Integer> slots = new ArrayList<>();
    for (int i = 6; i < args.length; i++) {
      slots.add(Integer.parseInt(args[i]));
    }
    List<String> prompts = new ArrayList<>();
    List<String> lines = SparsejSparkTest.prompts(rows);
    for (int i = 0; prompts.size() < rows; i++) {  // repeat the sample when it has fewer distinct lines
      prompts.add(lines.get(i % lines.size()));
    }
    SparkSession spark = SparkSession.builder().master(master).appName("sparsej-spark-bench")
        .config("spark.ui.enabled", "false").getOrCreate();
    spark.sparkContext().setLogLevel("WARN");
    int partitions = spark.sparkContext().defaultParallelism();
    Dataset<Row> df = spark.createDataset(prompts, Encoders.STRING()).toDF("prompt").repartition(partitions).cache();
    df.count();
    GenerationOptions greedy = GenerationOptions.greedy().withMaxTokens(maxTokens).withSeed(0L);
    System.out.printf("%d prompts, %d max tokens, %d kernel threads, %s (%d partitions), load %s%n", rows, maxTokens,
        threads, master, partitions, loadAverage());
    try (Model loop = Model.load(model, ModelOptions.defaults().withThreads(threads).withSlots(1))) {
      loop.generate(prompts.get(0), greedy);  // warm-up: JIT and kernels
      for (int s : slots) {  // warm-up: each configuration's model is loaded once per JVM, as on an executor
        spark(df.limit(50), model, threads, s, maxTokens);
      }
      for (int round = 1; round <= rounds; round++) {
        long t0 = System.nanoTime();
        long tokens = 0;
        for (String p : prompts) {
          Completion c = loop.generate(p, greedy);
          tokens += c.completionTokens();
        }
        report(round, "java API loop", rows, tokens, System.nanoTime() - t0);
        for (int s : slots) {
          long t1 = System.nanoTime();
          long sparkTokens = spark(df, model, threads, s, maxTokens);
          report(round, "spark " + master + " slots=" + s, rows, sparkTokens, System.nanoTime() - t1);
        }
      }
    } finally {
      spark.stop();
      ExecutorModels.closeAll();
    }
  }

  /** Runs the job; returns the generated tokens, failing on any row error. */
  private static long spark(Dataset<Row> df, Path model, int threads, int slots, int maxTokens) {
    SparkOptions o = SparkOptions.of(model.toString()).withThreadsPerExecutor(threads).withSlots(slots)
        .withMaxTokens(maxTokens);
    Row r = SparsejSpark.generate(df, "prompt", o)
        .selectExpr("sum(completion_tokens)", "count(error)").first();
    if (r.getLong(1) != 0) {
      throw new IllegalStateException(r.getLong(1) + " rows failed");
    }
    return r.getLong(0);
  }

  private static void report(int round, String what, int rows, long tokens, long nanos) {
    double s = nanos / 1e9;
    System.out.printf("round %d  %-28s %7.1f s  %8.1f rows/s  %9.1f tokens/s  (load %s)%n", round, what, s,
        rows / s, tokens / s, loadAverage());
  }

  private static String loadAverage() {
    try {
      return java.nio.file.Files.readString(Path.of("/proc/loadavg")).split(" ")[0];
    } catch (java.io.IOException e) {
      return "?";
    }
  }
}
