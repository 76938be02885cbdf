package org.sparsej.cli;

import org.sparsej.format.hf.HfModelWriter;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * --format of the compression commands' Hugging Face output: "hf" (default) stores every weight dense with its
 * zeros in place, which current transformers, vLLM and llm-compressor read (compressed-tensors 0.15 dropped the
 * sparse layouts); "sparse-bitmask" stores sparse weights in compressed-tensors' compact sparse layouts, which
 * SparseJ and compressed-tensors before 0.15 read. SparseJ runs both on its sparse kernels.
 */
public final class HfLayoutOption {
  static final String DESCRIPTION = "hf (default): weights stored dense with the zeros in place (int8 where "
      + "quantized), sparsity in config.json: what current transformers and vLLM load; sparse-bitmask: "
      + "compressed-tensors' compact sparse layouts (smaller; read by SparseJ and compressed-tensors < 0.15).";

  @Option(names = "--format", paramLabel = "FORMAT", description = DESCRIPTION)
  String format = "hf";

  @Spec(Spec.Target.MIXEE)
  CommandSpec command;

  HfModelWriter.Options writerOptions() {
    HfModelWriter.Options o = writerOptions(format);
    if (o == null) {
      throw new ParameterException(command.commandLine(), "--format must be hf or sparse-bitmask, got '"
          + format + "'");
    }
    return o;
  }

  /** The writer's options for "hf" or "sparse-bitmask"; null for any other name. */
  static HfModelWriter.Options writerOptions(String format) {
    switch (format) {
      case "hf": return HfModelWriter.Options.defaults().withDenseStored(true);
      case "sparse-bitmask": return HfModelWriter.Options.defaults().withSparseBitmask(true);
      default: return null;
    }
  }
}
