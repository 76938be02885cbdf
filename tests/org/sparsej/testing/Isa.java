package org.sparsej.testing;

import java.util.stream.IntStream;
import java.util.stream.Stream;
import org.junit.jupiter.params.provider.Arguments;
import org.sparsej.nativeops.NativeLibrary;
import org.sparsej.nativeops.SparsejNative;

/** Every kernel ISA this CPU can run, so a test covers each dispatch path the machine offers. */
public final class Isa {
  private Isa() {}

  public static Stream<String> runnable() {
    NativeLibrary.require();
    return IntStream.rangeClosed(0, SparsejNative.sj_isa_detected()).mapToObj(NativeLibrary::isaName);
  }

  /** The arguments (isa, value) for every runnable ISA and each value, ISA by ISA: a kernel test's cases. */
  public static Stream<Arguments> runnableWith(Object... values) {
    return runnable().flatMap(isa -> Stream.of(values).map(v -> Arguments.of(isa, v)));
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
