package org.sparsej.prune;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.sparsej.util.SparsejException;

/** Which block linears a targets/ignore entry selects: SparseJ's names, Hugging Face's, and re: patterns. */
class LinearNamesTest {
  /** The names (layers.L.x) an entry selects in a 12-block model. */
  private static List<String> selected(String entry) {
    List<String> out = new java.util.ArrayList<>();
    for (int l = 0; l < 12; l++) {
      for (int i = 0; i < 7; i++) {
        if (LinearNames.selects(entry, l, i)) {
          out.add(LinearNames.name(l, i));
        }
      }
    }
    return out;
  }

  @Test
  void entriesSelectByNameSuffixPrefixAndPattern() {
    assertEquals("model.layers.3.mlp.down_proj", LinearNames.hfName(3, 5));
    assertEquals(84, selected("Linear").size());
    assertEquals(84, selected("__ALL_PRUNABLE__").size());
    assertEquals(12, selected("w2").size());
    assertEquals(selected("w2"), selected("down_proj"));
    assertEquals(selected("w2"), selected("re:.*down_proj"));
    assertEquals(List.of("layers.1.wq", "layers.1.wk", "layers.1.wv", "layers.1.wo", "layers.1.w1", "layers.1.w2",
        "layers.1.w3"), selected("layers.1"), "a block, not layers.10 and layers.11");
    assertEquals(selected("layers.1"), selected("model.layers.1"));
    assertEquals(selected("layers.1"), selected("re:model.layers.1$"), "re: matches parent modules too");
    assertEquals(84, selected("re:model.layers.\\d+$").size());
    assertEquals(List.of("layers.3.wq", "layers.3.wk", "layers.3.wv", "layers.3.wo"),
        selected("model.layers.3.self_attn"));
    assertEquals(List.of("layers.3.wq"), selected("layers.3.wq"));
    assertEquals(List.of("layers.3.wq"), selected("model.layers.3.self_attn.q_proj"));
    assertEquals(List.of(), selected("lm_head"));
    assertEquals(List.of(), selected("proj"), "a suffix matches after a dot only");
  }

  @Test
  void anEntryThatSelectsNothingIsAnError() {
    LinearNames.requireEachSelects(List.of("w2", "lm_head", "re:.*lm_head", "layers.11"), 12, "ignore entry");
    SparsejException e = assertThrows(SparsejException.class,
        () -> LinearNames.requireEachSelects(List.of("w2", "layers.12"), 12, "ignore entry"));
    assertTrue(e.getMessage().contains("ignore entry 'layers.12' names no linear"), e.getMessage());
    e = assertThrows(SparsejException.class,
        () -> LinearNames.requireEachSelects(List.of("re:(unclosed"), 12, "ignore entry"));
    assertTrue(e.getMessage().contains("bad regular expression"), e.getMessage());
    assertFalse(LinearNames.namesClassifier("w2"));
  }
}
