package org.sparsej.prune;

import java.util.List;
import org.sparsej.train.FinetuneSettings;

/**
 * A named stage of a recipe: its modifiers, run in order, each over every block of the model; or, for a train
 * stage ({@code run_type: train}), a fine-tuning run over the whole model ({@code train} non-null, no modifiers).
 */
public record Stage(String name, List<BlockModifier> modifiers, FinetuneSettings train) {
  public Stage {
    modifiers = List.copyOf(modifiers);
  }

  public Stage(String name, List<BlockModifier> modifiers) {
    this(name, modifiers, null);
  }

  public boolean trains() {
    return train != null;
  }
}
