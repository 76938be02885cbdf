package org.sparsej.engine;

import java.lang.management.BufferPoolMXBean;
import java.lang.management.ManagementFactory;
import org.sparsej.model.KvCachePool;
import org.sparsej.model.LlamaConfig;

/** The default KV budget: every slot at the model's full context, but at most half the memory free now. */
final class KvBudget {
  private KvBudget() {}

  static long defaultBytes(LlamaConfig c, int slots) {
    long wanted = slots * KvCachePool.sequenceBytes(c, c.seqLen());
    return Math.max(KvCachePool.sequenceBytes(c, 1), Math.min(wanted, availableBytes() / 2));
  }

  /** Free physical memory, and what direct (off-heap) buffers may still take in this JVM. */
  static long availableBytes() {
    long physical = Long.MAX_VALUE;
    if (ManagementFactory.getOperatingSystemMXBean() instanceof com.sun.management.OperatingSystemMXBean os) {
      physical = os.getFreeMemorySize();
    }
    long maxDirect = Runtime.getRuntime().maxMemory();
    try {
      com.sun.management.HotSpotDiagnosticMXBean hs =
          ManagementFactory.getPlatformMXBean(com.sun.management.HotSpotDiagnosticMXBean.class);
      long set = Long.parseLong(hs.getVMOption("MaxDirectMemorySize").getValue());
      if (set > 0) {
        maxDirect = set;
      }
    } catch (RuntimeException e) {
      // Not HotSpot: direct memory defaults to the heap's maximum there too.
    }
    long usedDirect = 0;
    for (BufferPoolMXBean b : ManagementFactory.getPlatformMXBeans(BufferPoolMXBean.class)) {
      if (b.getName().equals("direct")) {
        usedDirect = b.getMemoryUsed();
      }
    }
    return Math.max(0, Math.min(physical, maxDirect - usedDirect));
  }
}
