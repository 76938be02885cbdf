package org.sparsej.spark;

import java.util.Arrays;
import org.apache.spark.api.java.function.MapPartitionsFunction;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Encoders;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;

/**
 * Batch generation and scoring over a DataFrame, from Java or Scala:
 *
 * <pre>{@code
 * Dataset<Row> out = SparsejSpark.generate(prompts, "prompt", SparkOptions.of("/shared/models/m.gguf"));
 * Dataset<Row> ppl = SparsejSpark.score(texts, "text", SparkOptions.of("/shared/models/m.gguf"));
 * }</pre>
 *
 * Each executor loads the model once, lazily, and its tasks share it; each task feeds its partition through the
 * batching engine, several rows in flight. The result is the input's columns plus the result columns below; a row
 * that fails has its message in {@code error} (null when it succeeded) and the job goes on. A model that cannot be
 * loaded fails the job with one message naming its path.
 */
public final class SparsejSpark {
  /** Generated text (without the stop string), null when the row failed. */
  public static final String GENERATED = "generated";
  /** Tokens in the prompt, BOS included. */
  public static final String PROMPT_TOKENS = "prompt_tokens";
  /** Tokens generated, a final end-of-sequence token included. */
  public static final String COMPLETION_TOKENS = "completion_tokens";
  /** "stop" (end of sequence or a stop string), "length" (max tokens) or "cancelled". */
  public static final String FINISH_REASON = "finish_reason";
  /** Natural-log likelihood of the text (BOS put before it; every token predicted from the ones before). */
  public static final String LOG_LIKELIHOOD = "log_likelihood";
  /** exp(mean negative log-likelihood per predicted token). */
  public static final String PERPLEXITY = "perplexity";
  /** Tokens predicted in the score. */
  public static final String SCORED_TOKENS = "scored_tokens";
  /** Why the row failed, or null. */
  public static final String ERROR = "error";

  private SparsejSpark() { }

  /** Generates after each prompt of a string column. */
  public static Dataset<Row> generate(Dataset<Row> input, String promptColumn, SparkOptions options) {
    int index = stringColumn(input, promptColumn);
    StructType schema = extend(input.schema(),
        field(GENERATED, DataTypes.StringType), field(PROMPT_TOKENS, DataTypes.IntegerType),
        field(COMPLETION_TOKENS, DataTypes.IntegerType), field(FINISH_REASON, DataTypes.StringType),
        field(ERROR, DataTypes.StringType));
    return input.mapPartitions((MapPartitionsFunction<Row, Row>) rows ->
        PartitionRunner.generate(rows, index, options), Encoders.row(schema));
  }

  /** Scores each text of a string column: log-likelihood, perplexity and the number of predicted tokens. */
  public static Dataset<Row> score(Dataset<Row> input, String textColumn, SparkOptions options) {
    int index = stringColumn(input, textColumn);
    StructType schema = extend(input.schema(),
        field(LOG_LIKELIHOOD, DataTypes.DoubleType), field(PERPLEXITY, DataTypes.DoubleType),
        field(SCORED_TOKENS, DataTypes.IntegerType), field(ERROR, DataTypes.StringType));
    return input.mapPartitions((MapPartitionsFunction<Row, Row>) rows ->
        PartitionRunner.score(rows, index, options), Encoders.row(schema));
  }

  private static int stringColumn(Dataset<Row> input, String name) {
    StructType schema = input.schema();
    if (!Arrays.asList(schema.fieldNames()).contains(name)) {
      throw new IllegalArgumentException("no column '" + name + "' (columns: "
          + String.join(", ", schema.fieldNames()) + ")");
    }
    int index = schema.fieldIndex(name);
    DataType type = schema.fields()[index].dataType();
    if (!type.equals(DataTypes.StringType)) {
      throw new IllegalArgumentException("column '" + name + "' must be a string, it is " + type.simpleString());
    }
    return index;
  }

  private static StructType extend(StructType schema, StructField... extra) {
    for (StructField f : extra) {
      if (Arrays.asList(schema.fieldNames()).contains(f.name())) {
        throw new IllegalArgumentException("the input already has a column '" + f.name()
            + "' (rename it: the result adds it)");
      }
      schema = schema.add(f);
    }
    return schema;
  }

  private static StructField field(String name, DataType type) {
    return DataTypes.createStructField(name, type, true);
  }
}
