package org.sparsej.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The last-level cache read from a sysfs-shaped directory, and the eviction read sized from it. */
class CacheSizeTest {
  private static void index(Path dir, int i, int level, String type, String size) throws IOException {
    Path d = Files.createDirectories(dir.resolve("index" + i));
    Files.writeString(d.resolve("level"), level + "\n");
    Files.writeString(d.resolve("type"), type + "\n");
    Files.writeString(d.resolve("size"), size + "\n");
  }

  @Test
  void highestLevelDataOrUnifiedCacheWins(@TempDir Path dir) throws IOException {
    index(dir, 0, 1, "Data", "48K");
    index(dir, 1, 1, "Instruction", "32K");
    index(dir, 2, 2, "Unified", "2048K");
    index(dir, 3, 3, "Unified", "307200K");  // Sapphire Rapids' 300 MiB
    assertEquals(300L << 20, CacheSize.lastLevelBytes(dir));
    assertEquals(600L << 20, CacheSize.evictionBytes(CacheSize.lastLevelBytes(dir)));
  }

  @Test
  void instructionCachesAndBadSizesAreIgnored(@TempDir Path dir) throws IOException {
    index(dir, 0, 1, "Data", "32K");
    index(dir, 1, 4, "Instruction", "64M");
    index(dir, 2, 3, "Unified", "lots");
    assertEquals(32L << 10, CacheSize.lastLevelBytes(dir));
  }

  @Test
  void unknownCacheFallsBackToTheMinimum(@TempDir Path dir) {
    assertEquals(-1, CacheSize.lastLevelBytes(dir.resolve("missing")));
    assertEquals(CacheSize.MIN_EVICTION_BYTES, CacheSize.evictionBytes(-1));
    assertEquals(CacheSize.MIN_EVICTION_BYTES, CacheSize.evictionBytes(16L << 20), "at least 64 MiB");
    assertEquals(64L << 20, CacheSize.parseSize("65536K"));
    assertEquals(-1, CacheSize.parseSize("-3K"));
  }

  @Test
  void thisMachineIsEvictedByAtLeastTwiceItsCache() {
    long llc = CacheSize.lastLevelBytes();
    assertTrue(KernelBench.FLUSH_BYTES >= 2 * llc && KernelBench.FLUSH_BYTES >= CacheSize.MIN_EVICTION_BYTES,
        "eviction " + KernelBench.FLUSH_BYTES + " for a last-level cache of " + llc);
  }
}
