package org.sparsej.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.stream.Stream;

/**
 * The last-level cache as Linux's sysfs states it for cpu0, to size the read that evicts a benchmark's weights:
 * a fixed 64 MiB leaves them in a 300 MiB L3 (seen on Sapphire Rapids), and sgemv then reports cache speeds.
 */
public final class CacheSize {
  /** The smallest eviction read, whatever the cache reports (the bench's old fixed size). */
  public static final long MIN_EVICTION_BYTES = 64L << 20;

  private static final Path SYSFS = Path.of("/sys/devices/system/cpu/cpu0/cache");

  private CacheSize() {}

  /** Bytes of this machine's last-level data or unified cache; -1 when sysfs does not say. */
  public static long lastLevelBytes() {
    return lastLevelBytes(SYSFS);
  }

  /** As {@link #lastLevelBytes()} for a sysfs cache directory (index0, index1, ... each with level, type, size). */
  static long lastLevelBytes(Path cacheDir) {
    if (!Files.isDirectory(cacheDir)) {
      return -1;
    }
    int bestLevel = -1;
    long best = -1;
    try (Stream<Path> entries = Files.list(cacheDir)) {
      for (Path index : (Iterable<Path>) entries.sorted()::iterator) {
        if (!index.getFileName().toString().startsWith("index")) {
          continue;
        }
        String type = read(index.resolve("type"));
        String level = read(index.resolve("level"));
        String size = read(index.resolve("size"));
        if (type == null || level == null || size == null || type.equalsIgnoreCase("Instruction")) {
          continue;
        }
        int l = Integer.parseInt(level);
        long bytes = parseSize(size);
        if (bytes > 0 && (l > bestLevel || l == bestLevel && bytes > best)) {
          bestLevel = l;
          best = bytes;
        }
      }
    } catch (IOException | NumberFormatException e) {
      return -1;
    }
    return best;
  }

  /** sysfs's size text: "32768K", "1M", "512" (bytes); -1 if not a size. */
  static long parseSize(String text) {
    String s = text.trim().toUpperCase(Locale.ROOT);
    long unit = 1;
    if (s.endsWith("K")) {
      unit = 1L << 10;
    } else if (s.endsWith("M")) {
      unit = 1L << 20;
    } else if (s.endsWith("G")) {
      unit = 1L << 30;
    }
    if (unit > 1) {
      s = s.substring(0, s.length() - 1);
    }
    try {
      long n = Long.parseLong(s);
      return n < 0 ? -1 : n * unit;
    } catch (NumberFormatException e) {
      return -1;
    }
  }

  /** The eviction read for a last-level cache of {@code llcBytes} (-1: unknown): at least twice its size. */
  public static long evictionBytes(long llcBytes) {
    return Math.max(MIN_EVICTION_BYTES, 2 * Math.max(0, llcBytes));
  }

  private static String read(Path p) throws IOException {
    return Files.isRegularFile(p) ? Files.readString(p).trim() : null;
  }
}
