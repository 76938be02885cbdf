package org.sparsej.backend;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.ByteBuffer;
import org.bytedeco.javacpp.Pointer;
import org.junit.jupiter.api.Test;
import org.sparsej.nativeops.CudaLibrary;
import org.sparsej.tensor.DType;
import org.sparsej.tensor.Tensor;
import org.sparsej.util.SparsejException;

/**
 * What the cuda backend says where it cannot run (the build machines: no driver, no GPU), and the device-tensor
 * wrapping every op relies on, checked on host memory. The GPU side is CudaBackendMatchesJavaTest.
 */
class CudaUnavailableTest {
  @Test
  void reasonIsOneLineAndOpeningFailsWithIt() {
    String reason = CudaBackend.unavailableReason();
    assumeTrue(reason != null, "a GPU is present: nothing to refuse");
    assertFalse(reason.contains("\n"), reason);
    assertTrue(reason.contains("driver") || reason.contains("device") || reason.contains("nvcc")
        || reason.contains("did not load") || reason.contains("libcublas"), reason);
    SparsejException e = assertThrows(SparsejException.class, CudaBackend::new);
    assertEquals("cuda: " + reason, e.getMessage());
    SparsejException viaBackends = assertThrows(SparsejException.class, () -> Backends.open("cuda", 1, line -> { }));
    assertEquals("cuda: " + reason, viaBackends.getMessage());
    assertEquals(reason, Backends.availability().get("cuda"));
    // cuSPARSELt's absence on a machine without a GPU is reported as the GPU's absence, not as a second problem.
    assertEquals(CudaLibrary.unavailableReason(), CudaLibrary.cusparseltReason());
  }

  @Test
  void theLibraryLoadsWithoutAGpu() {
    // libsparsej_cuda.so links only cudart (static) and opens the driver, cuBLAS and cuSPARSELt at run time: on a
    // machine without them it still loads and answers, so info can say why, instead of an UnsatisfiedLinkError.
    String reason = CudaLibrary.unavailableReason();
    assumeTrue(reason != null, "a GPU is present");
    assertFalse(reason.startsWith("the CUDA library did not load"), reason);
  }

  @Test
  void deviceTensorsKeepTheirAddressThroughViews() {
    ByteBuffer host = ByteBuffer.allocateDirect(4 * 24);
    long address = new Pointer(host).address();
    Tensor t = CudaBackend.deviceTensor(address, 4 * 24, DType.F32, 4, 6);
    assertEquals(address, t.address());
    assertEquals(address + 4 * 6, t.row(1).address());
    assertEquals(address + 4 * 10, t.view(10, 2, 3).address());
    assertEquals(address, t.reshape(24).address());
    assertEquals(24, t.size());
    assertThrows(SparsejException.class, () -> CudaBackend.deviceTensor(address, 3L << 30, DType.F32, 3 << 28));
  }
}
