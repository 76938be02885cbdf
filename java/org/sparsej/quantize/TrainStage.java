package org.sparsej.quantize;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import org.sparsej.prune.Stage;
import org.sparsej.train.FinetuneSettings;
import org.sparsej.train.LossKind;
import org.sparsej.util.SparsejException;

/**
 * A recipe's fine-tuning stage, in llm-compressor's shape (its training stage with ConstantPruningModifier holding
 * the masks and OutputDistillationModifier comparing to a teacher), with {@code sparsej finetune}'s options as
 * fields:
 * <pre>
 * finetuning_stage:
 *   run_type: train
 *   data: train.txt          # required; steps too; lr, batch, seqlen, warmup, weight_decay, seed, heldout, eval_every
 *   steps: 200
 *   pruning_modifiers:
 *     ConstantPruningModifier: {targets: [Linear], start: 0}
 *   distillation_modifiers:  # absent: loss ce
 *     OutputDistillationModifier: {teacher: dense-model, comparison: square_head}  # or kl_divergence
 * </pre>
 * sparsej holds every mask fixed while training, so ConstantPruningModifier is required (its targets name what
 * it holds, which is every sparse linear). {@code comparison: kl_divergence} is {@code --loss kd},
 * {@code square_head} (llm-compressor's default) is {@code --loss kd+squarehead}: sparsej's SquareHead is added to
 * the KL term and compares every block's output.
 */
final class TrainStage {
  private static final List<String> STAGE_FIELDS = List.of("run_type", "data", "steps", "lr", "batch", "seqlen",
      "warmup", "weight_decay", "seed", "heldout", "eval_every");
  private static final List<String> CONSTANT_FIELDS = List.of("targets", "start");
  private static final List<String> DISTILL_FIELDS = List.of("teacher", "comparison", "targets", "start");

  private final Function<String, SparsejException> error;
  private final String key;

  private TrainStage(Function<String, SparsejException> error, String key) {
    this.error = error;
    this.key = key;
  }

  /** The stage {@code key} (named {@code name}); {@code error} makes an error naming the recipe. */
  static Stage parse(Function<String, SparsejException> error, String key, String name, JsonNode node) {
    return new Stage(name, List.of(), new TrainStage(error, key).settings(node));
  }

  private SparsejException error(String message) {
    return error.apply("stage '" + key + "' (run_type: train): " + message);
  }

  private FinetuneSettings settings(JsonNode node) {
    boolean constant = false;
    JsonNode distill = null;
    for (Map.Entry<String, JsonNode> e : CompressionRecipe.fields(node)) {
      String k = e.getKey();
      if (k.endsWith("_modifiers")) {
        if (!e.getValue().isObject() || e.getValue().isEmpty()) {
          throw error("'" + k + "' must map modifier names to their fields");
        }
        for (Map.Entry<String, JsonNode> m : CompressionRecipe.fields(e.getValue())) {
          JsonNode f = CompressionRecipe.modifierFields(m.getKey(), m.getValue(), this::error);
          switch (m.getKey()) {
            case "ConstantPruningModifier" -> {
              CompressionRecipe.requireKnown(m.getKey(), f, CONSTANT_FIELDS, this::error);
              startsAtZero(m.getKey(), f);
              constant = true;
            }
            case "OutputDistillationModifier" -> {
              CompressionRecipe.requireKnown(m.getKey(), f, DISTILL_FIELDS, this::error);
              startsAtZero(m.getKey(), f);
              if (distill != null) {
                throw error("more than one OutputDistillationModifier");
              }
              distill = f;
            }
            default -> throw error("modifier '" + m.getKey() + "' cannot run in a train stage (sparsej trains with "
                + "ConstantPruningModifier and OutputDistillationModifier)");
          }
        }
      } else if (!STAGE_FIELDS.contains(k)) {
        throw error("unknown field '" + k + "' (its fields: " + String.join(", ", STAGE_FIELDS)
            + ", and NAME_modifiers groups)");
      }
    }
    if (!constant) {
      throw error("needs a ConstantPruningModifier: sparsej's training always holds the masks fixed");
    }
    LossKind loss = LossKind.CE;
    Path teacher = null;
    if (distill != null) {
      if (!distill.hasNonNull("teacher")) {
        throw error("OutputDistillationModifier needs a teacher (the path of the dense model to distil)");
      }
      teacher = Path.of(text("OutputDistillationModifier.teacher", distill.get("teacher")));
      String comparison = distill.has("comparison") ? text("OutputDistillationModifier.comparison",
          distill.get("comparison")) : "square_head";
      loss = switch (comparison) {
        case "kl_divergence" -> LossKind.KD;
        case "square_head" -> LossKind.KD_SQUAREHEAD;
        default -> throw error("OutputDistillationModifier.comparison '" + comparison + "' is not one sparsej "
            + "trains (kl_divergence or square_head)");
      };
    }
    if (!node.hasNonNull("data")) {
      throw error("needs data (the training text file)");
    }
    if (!node.has("steps")) {
      throw error("needs steps (the number of updates)");
    }
    Integer seqLen = node.has("seqlen") ? (int) integer("seqlen", node) : null;
    FinetuneSettings s = new FinetuneSettings(Path.of(text("data", node.get("data"))), teacher, loss,
        integer("steps", node), (int) integerOr("batch", node, FinetuneSettings.DEFAULT_BATCH), seqLen,
        (float) numberOr("lr", node, FinetuneSettings.DEFAULT_LR),
        (int) integerOr("warmup", node, FinetuneSettings.DEFAULT_WARMUP), (float) numberOr("weight_decay", node, 0),
        integerOr("seed", node, 0), (int) integerOr("heldout", node, FinetuneSettings.DEFAULT_HELD_OUT),
        (int) integerOr("eval_every", node, FinetuneSettings.DEFAULT_EVAL_EVERY), 0, Double.POSITIVE_INFINITY);
    String problem = s.problem();
    if (problem != null) {
      throw error(problem.replace("weight-decay", "weight_decay").replace("eval-every", "eval_every"));
    }
    return s;
  }

  /** The whole stage trains: a modifier that starts later is not something sparsej does. */
  private void startsAtZero(String modifier, JsonNode f) {
    if (f.has("start") && !(f.get("start").isNumber() && f.get("start").doubleValue() == 0)) {
      throw error(modifier + ".start must be 0 (sparsej applies it for the whole stage), got " + f.get("start"));
    }
  }

  private String text(String field, JsonNode v) {
    if (!v.isTextual() || v.asText().isBlank()) {
      throw error(field + " must be a path, got " + v);
    }
    return v.asText();
  }

  private long integer(String field, JsonNode node) {
    JsonNode v = node.get(field);
    if (!v.isIntegralNumber()) {
      throw error(field + " must be a whole number, got " + v);
    }
    return v.longValue();
  }

  private long integerOr(String field, JsonNode node, long absent) {
    return node.has(field) ? integer(field, node) : absent;
  }

  private double numberOr(String field, JsonNode node, double absent) {
    if (!node.has(field)) {
      return absent;
    }
    JsonNode v = node.get(field);
    if (v.isNumber()) {
      return v.doubleValue();
    }
    try {  // YAML reads 1e-3 (no dot) as a string
      return Double.parseDouble(v.asText().trim());
    } catch (NumberFormatException e) {
      throw error(field + " must be a number, got " + v);
    }
  }
}
