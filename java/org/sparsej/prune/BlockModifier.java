package org.sparsej.prune;

import java.util.List;
import java.util.function.Consumer;
import org.sparsej.backend.Backend;
import org.sparsej.model.LayerWeights;
import org.sparsej.model.LlamaModel;

/**
 * One compression step of a recipe (an llm-compressor "modifier": SparseGPT, SmoothQuant, quantization...), applied
 * by {@link LayerwisePruning} to one block at a time with the statistics of that block's inputs as the
 * already-compressed blocks before it produce them.
 */
public interface BlockModifier {
  /** What {@link #apply} reads about a block's inputs. */
  enum Needs {
    /** Nothing: no calibration forward passes. */
    NONE,
    /** Per-channel input ranges max|x| only. */
    RANGES,
    /** Ranges and the Gram matrices Σ x·xᵀ. */
    GRAM
  }

  /** What the runner offers {@link #prepare}: the calibration data and a way to measure the whole model. */
  interface Context {
    Backend backend();

    /** The calibration sequences (empty when none was given). */
    List<int[]> samples();

    /** The tokenizer's BOS id (perplexity windows start with it). */
    int bos();

    /** Input statistics (ranges only) of every block's four linear groups, by one calibration pass of model. */
    InputStatistics[][] ranges(LlamaModel model);

    /** A line for the log. */
    void log(String line);
  }

  /** The llm-compressor modifier name, e.g. "SparseGPTModifier". */
  String name();

  /** A short description of the settings for logs, e.g. "sparsegpt 2:4". */
  String describe();

  Needs needs();

  /** Whether the modifier cannot run without calibration samples (else {@code stats} may be null). */
  boolean requiresCalibration();

  /** Checks the modifier fits the model (names, widths) before any work; throws SparsejException if not. */
  default void validate(LlamaModel model) {}

  /** Runs once on the whole model as it enters this modifier, before the first block. */
  default void prepare(LlamaModel model, Context context) {}

  /**
   * Whether {@link #prepare} reads the whole model (a sensitivity ranking, say): then the model entering this
   * modifier must exist as a whole, and a streamed run can only have this modifier first.
   */
  default boolean preparesOnWholeModel() {
    return false;
  }

  /**
   * Returns block {@code block} compressed, reporting each linear it touched.
   *
   * @param stats statistics of the block's four linear groups' inputs (qkv, o, gate/up, down), or null when
   *     {@link #needs()} is NONE or no calibration was given
   */
  LayerWeights apply(int block, LayerWeights layer, InputStatistics[] stats,
                     Consumer<LayerwisePruning.LinearReport> report);

  /**
   * The classifier (lm_head) after this modifier, which runs it once after the last block; most modifiers leave it
   * as it is and report nothing.
   */
  default org.sparsej.weights.LinearWeight classifier(org.sparsej.weights.LinearWeight classifier,
                                                      Consumer<LayerwisePruning.LinearReport> report) {
    return classifier;
  }
}
