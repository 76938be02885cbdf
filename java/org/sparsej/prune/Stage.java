package org.sparsej.prune;

import java.util.List;

/** A named stage of a recipe: its modifiers, run in order, each over every block of the model. */
public record Stage(String name, List<BlockModifier> modifiers) {
  public Stage {
    modifiers = List.copyOf(modifiers);
  }
}
