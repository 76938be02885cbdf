package org.sparsej.backend;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.sparsej.nativeops.NativeLibrary;
import org.sparsej.nativeops.SparsejNative;
import org.sparsej.util.SparsejException;

/** Flag > -Dsparsej.backend > $SPARSEJ_BACKEND > auto, and the one-line reasons of backends that cannot run. */
class BackendSelectionTest {
  @AfterEach
  void clearProperties() {
    System.clearProperty("sparsej.backend");
    System.clearProperty("sparsej.isa");
    NativeLibrary.selectIsa(SparsejNative.sj_isa_detected());
  }

  @Test
  void flagBeatsPropertyWhichBeatsAuto() {
    assertEquals(System.getenv("SPARSEJ_BACKEND") == null ? "auto" : System.getenv("SPARSEJ_BACKEND"),
        Backends.requested(null));
    System.setProperty("sparsej.backend", "java");
    assertEquals("java", Backends.requested(null));
    assertEquals("cpu", Backends.requested("CPU"));
  }

  @Test
  void unknownBackendNameIsOneClearError() {
    SparsejException e = assertThrows(SparsejException.class, () -> Backends.requested("gpu9"));
    assertEquals("unknown backend 'gpu9' (expected one of [auto, cuda, cpu, java])", e.getMessage());
  }

  @Test
  void autoFallsBackAndSaysWhy() {
    List<String> log = new ArrayList<>();
    try (Backend backend = Backends.open("auto", 1, log::add)) {
      String cudaReason = Backends.unavailableReason("cuda");
      assumeTrue(cudaReason != null, "a GPU is present here: auto picks cuda");
      assertEquals(NativeLibrary.available() ? "cpu" : "java", backend.name());
      assertEquals(1, log.size());
      assertTrue(log.get(0).contains("cuda unavailable: " + cudaReason), log.get(0));
    }
  }

  @Test
  void explicitlyRequestedUnavailableBackendFails() {
    assumeTrue(Backends.unavailableReason("cuda") != null, "a GPU is present here: cuda opens");
    SparsejException e = assertThrows(SparsejException.class, () -> Backends.open("cuda", 1, line -> { }));
    assertTrue(e.getMessage().startsWith("cuda: "), e.getMessage());
  }

  @Test
  void isaPropertyLowersTheKernelsAndRejectsUnknownNames() {
    System.setProperty("sparsej.isa", "scalar");
    try (Backend cpu = new CpuBackend(1)) {
      assertTrue(cpu.describe().contains("scalar"), cpu.describe());
    }
    System.setProperty("sparsej.isa", "avx9");
    SparsejException e = assertThrows(SparsejException.class, () -> new CpuBackend(1));
    assertEquals("unknown ISA 'avx9' (expected scalar, avx2, avx512, avx512vnni or avx512bf16)", e.getMessage());
  }
}
