package org.sparsej.format.hf;

import com.fasterxml.jackson.databind.node.ObjectNode;
import org.sparsej.model.RopeScaling;

/** config.json's rope_scaling for a {@link RopeScaling}, with the keys transformers' modeling_rope_utils reads. */
final class RopeScalingJson {
  private RopeScalingJson() {}

  static void put(ObjectNode config, RopeScaling r) {
    if (r.type().equals("default")) {
      config.putNull("rope_scaling");
      return;
    }
    ObjectNode j = config.putObject("rope_scaling");
    j.put("rope_type", r.type());
    j.put("factor", r.factor());
    switch (r.type()) {
      case "llama3":
        j.put("low_freq_factor", r.lowFreqFactor());
        j.put("high_freq_factor", r.highFreqFactor());
        j.put("original_max_position_embeddings", r.originalContext());
        break;
      case "yarn":
        j.put("original_max_position_embeddings", r.originalContext());
        j.put("beta_fast", r.betaFast());
        j.put("beta_slow", r.betaSlow());
        j.put("attention_factor", r.attentionFactor());  // as computed at load, so nothing is re-derived
        j.put("truncate", r.truncate());
        break;
      default:
        break;
    }
  }
}
