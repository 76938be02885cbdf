package org.sparsej.nativeops;

import org.bytedeco.javacpp.Loader;
import org.bytedeco.openblas.global.openblas;
import org.sparsej.util.SparsejException;

/**
 * Loads the OpenBLAS library of the bytedeco preset, once, for every class that calls it (the dense CPU baseline,
 * the trainer's products, the compression methods' double routines); says in one line why it cannot.
 */
public final class OpenBlas {
  private static volatile boolean loaded;

  private OpenBlas() {}

  public static void load() {
    if (!loaded) {
      try {
        Loader.load(openblas.class);
      } catch (UnsatisfiedLinkError e) {
        throw new SparsejException("openblas: native library did not load (" + e.getMessage() + ")");
      }
      loaded = true;
    }
  }
}
