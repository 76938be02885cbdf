package org.sparsej.spark;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Encoders;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.sparsej.api.Completion;
import org.sparsej.api.GenerationOptions;
import org.sparsej.api.Model;
import org.sparsej.api.ModelOptions;
import org.sparsej.api.Score;

/**
 * The DataFrame API in local[2] on sj-7m: every row against the Java API's own output for the same prompt and
 * options (a separately loaded model, one request at a time), failing rows, and a model that cannot be loaded.
 */
class SparsejSparkTest {
  static final Path SJ7M = Path.of("../shared/models/sj-7m/model.bin");
  private static SparkSession spark;
  private static Model reference;

  @BeforeAll
  static void start() {
    spark = SparkSession.builder().master("local[2]").appName("sparsej-spark-test")
        .config("spark.ui.enabled", "false").config("spark.sql.shuffle.partitions", "4").getOrCreate();
    spark.sparkContext().setLogLevel("WARN");  // not a line per task in the test log
    reference = Model.load(SJ7M, ModelOptions.defaults().withThreads(1).withSlots(1));
  }

  @AfterAll
  static void stop() {
    spark.stop();
    reference.close();
    ExecutorModels.closeAll();
  }

  /** Distinct lines of the Shakespeare sample, short and long. */
  static List<String> prompts(int n) throws IOException {
    List<String> out = new ArrayList<>();
    for (String line : Files.readAllLines(Path.of("../shared/data/sj-corpus/eval-shakespeare.txt"))) {
      if (line.length() > 3 && !out.contains(line)) {
        out.add(line);
      }
      if (out.size() == n) {
        break;
      }
    }
    return out;
  }

  private static Dataset<Row> column(List<String> values, String name) {
    return spark.createDataset(values, Encoders.STRING()).toDF(name).repartition(4);
  }

  @Test
  void everyGeneratedRowIsTheJavaApisOutput() throws IOException {
    List<String> prompts = new ArrayList<>(prompts(200));
    String tooLong = "To be, or not to be: that is the question. ".repeat(60);
    prompts.add(tooLong);
    prompts.add(null);
    SparkOptions options = SparkOptions.of(SJ7M.toString()).withThreadsPerExecutor(2).withSlots(4)
        .withMaxTokens(12).withStop(".");
    List<Row> rows = SparsejSpark.generate(column(prompts, "prompt"), "prompt", options).collectAsList();
    assertEquals(prompts.size(), rows.size());

    GenerationOptions same = GenerationOptions.greedy().withMaxTokens(12).withSeed(0L).withStop(List.of("."));
    Map<String, Integer> reasons = new HashMap<>();
    for (Row row : rows) {
      String prompt = row.getString(0);
      String error = row.getAs(SparsejSpark.ERROR);
      if (prompt == null || prompt.equals(tooLong)) {
        assertNotNull(error, "row " + prompt);
        assertNull(row.getAs(SparsejSpark.GENERATED));
        assertTrue(prompt == null ? error.contains("null") : error.contains("context"), error);
        continue;
      }
      assertNull(error, prompt);
      Completion expected = reference.generate(prompt, same);
      assertEquals(expected.text(), row.getAs(SparsejSpark.GENERATED), prompt);
      assertEquals(expected.promptTokens(), (int) row.getAs(SparsejSpark.PROMPT_TOKENS), prompt);
      assertEquals(expected.completionTokens(), (int) row.getAs(SparsejSpark.COMPLETION_TOKENS), prompt);
      assertEquals(expected.finishReason().openAiName(), row.getAs(SparsejSpark.FINISH_REASON), prompt);
      reasons.merge(row.getAs(SparsejSpark.FINISH_REASON), 1, Integer::sum);
    }
    // both ways of ending occur, so the stop string and the length limit were both exercised
    assertTrue(reasons.getOrDefault("stop", 0) > 0 && reasons.getOrDefault("length", 0) > 0, reasons.toString());
  }

  @Test
  void everyScoredRowIsTheJavaApisScore() throws IOException {
    List<String> texts = new ArrayList<>(prompts(100));
    texts.add(null);
    SparkOptions options = SparkOptions.of(SJ7M.toString()).withThreadsPerExecutor(2).withSlots(4);
    List<Row> rows = SparsejSpark.score(column(texts, "text"), "text", options).collectAsList();
    assertEquals(texts.size(), rows.size());
    for (Row row : rows) {
      String text = row.getString(0);
      if (text == null) {
        assertNotNull(row.getAs(SparsejSpark.ERROR));
        continue;
      }
      assertNull(row.getAs(SparsejSpark.ERROR), text);
      Score expected = reference.score(text);
      double ll = row.getAs(SparsejSpark.LOG_LIKELIHOOD);
      assertEquals(expected.logLikelihood(), ll, 1e-4 * Math.abs(expected.logLikelihood()), text);
      assertEquals(expected.perplexity(), (double) row.getAs(SparsejSpark.PERPLEXITY),
          1e-4 * expected.perplexity(), text);
      assertEquals(expected.tokens(), (int) row.getAs(SparsejSpark.SCORED_TOKENS), text);
    }
  }

  @Test
  void badParametersFailEveryRowButNotTheJob() throws IOException {
    SparkOptions options = SparkOptions.of(SJ7M.toString()).withThreadsPerExecutor(2).withSlots(4)
        .withTemperature(-1f);
    List<Row> rows = SparsejSpark.generate(column(prompts(10), "p"), "p", options).collectAsList();
    assertEquals(10, rows.size());
    for (Row row : rows) {
      assertTrue(((String) row.getAs(SparsejSpark.ERROR)).contains("temperature"), row.toString());
    }
  }

  @Test
  void missingOrCorruptModelFailsTheJobNamingThePath(@TempDir Path dir) throws IOException {
    Path corrupt = dir.resolve("corrupt.bin");
    Files.write(corrupt, new byte[] {1, 2, 3, 4, 5, 6, 7});
    for (Path model : List.of(dir.resolve("missing.gguf"), corrupt)) {
      Dataset<Row> out = SparsejSpark.generate(column(List.of("Once upon a time"), "p"), "p",
          SparkOptions.of(model.toString()));
      Exception e = assertThrows(Exception.class, out::collectAsList);
      String message = String.valueOf(e.getMessage());
      assertTrue(message.contains("sparsej: cannot load the model " + model), message);
    }
  }

  @Test
  void aModelShippedWithAddFileIsFoundByItsName() throws IOException {
    Path gguf = Path.of("../shared/models/sj-7m/gguf/sj-7m-q8_0.gguf");
    spark.sparkContext().addFile(gguf.toAbsolutePath().toString());
    assertTrue(Files.notExists(Path.of(gguf.getFileName().toString())), "the name must not resolve locally");
    SparkOptions options = SparkOptions.of(gguf.getFileName().toString()).withThreadsPerExecutor(2).withSlots(2)
        .withMaxTokens(8);
    List<String> prompts = prompts(6);
    List<Row> rows = SparsejSpark.generate(column(prompts, "p"), "p", options).collectAsList();
    try (Model direct = Model.load(gguf, ModelOptions.defaults().withThreads(1).withSlots(1))) {
      for (Row row : rows) {
        assertNull(row.getAs(SparsejSpark.ERROR));
        assertEquals(direct.generate(row.getString(0), GenerationOptions.greedy().withMaxTokens(8).withSeed(0L))
            .text(), row.getAs(SparsejSpark.GENERATED));
      }
    }
    assertEquals(prompts.size(), rows.size());
  }

  @Test
  void aMissingOrNonStringColumnIsRefusedOnTheDriver() {
    Dataset<Row> df = spark.range(3).toDF("n");
    SparkOptions options = SparkOptions.of(SJ7M.toString());
    assertTrue(assertThrows(IllegalArgumentException.class, () -> SparsejSpark.generate(df, "prompt", options))
        .getMessage().contains("no column 'prompt'"));
    assertTrue(assertThrows(IllegalArgumentException.class, () -> SparsejSpark.score(df, "n", options))
        .getMessage().contains("must be a string"));
  }
}
