package org.sparsej.testing;

import java.util.stream.IntStream;
import java.util.stream.Stream;
import org.sparsej.nativeops.NativeLibrary;
import org.sparsej.nativeops.SparsejNative;

/** Every kernel ISA this CPU can run, so a test covers each dispatch path the machine offers. */
public final class Isa {
  private Isa() {}

  public static Stream<String> runnable() {
    NativeLibrary.require();
    return IntStream.rangeClosed(0, SparsejNative.sj_isa_detected()).mapToObj(NativeLibrary::isaName);
  }

  /** Runs body with the kernels forced to {@code isa}, then restores the CPU's best. */
  public static void with(String isa, Runnable body) {
    NativeLibrary.selectIsa(NativeLibrary.parseIsa(isa));
    try {
      body.run();
    } finally {
      NativeLibrary.selectIsa(SparsejNative.sj_isa_detected());
    }
  }
}
