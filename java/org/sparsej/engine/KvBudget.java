package org.sparsej.engine;

import java.lang.management.ManagementFactory;
import org.sparsej.model.KvCachePool;
import org.sparsej.model.LlamaConfig;
import org.sparsej.tensor.OffHeapMemory;

/** The default KV budget: every slot at the model's full context, but at most half the memory free now. */
final class KvBudget {
  private KvBudget() {}

  static long defaultBytes(LlamaConfig c, int slots) {
    long wanted = slots * KvCachePool.sequenceBytes(c, c.seqLen());
    return Math.max(KvCachePool.sequenceBytes(c, 1), Math.min(wanted, availableBytes() / 2));
  }

  /** Free physical memory, and what tensors may still take in this JVM. */
  static long availableBytes() {
    long physical = Long.MAX_VALUE;
    if (ManagementFactory.getOperatingSystemMXBean() instanceof com.sun.management.OperatingSystemMXBean os) {
      physical = os.getFreeMemorySize();
    }
    return Math.max(0, Math.min(physical, OffHeapMemory.headroom()));
  }
}
