package org.sparsej.fuzz;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HashSet;
import java.util.Set;
import java.util.SplittableRandom;
import org.sparsej.backend.Backend;
import org.sparsej.fuzz.FuzzTargets.Target;

/**
 * A seeded mutation fuzzer for the model-file parsers: starting from a valid file, each round applies a few random
 * mutations (bit flips, interesting integers written over 4- or 8-byte fields, truncation, extension, chunk
 * deletion/duplication, JSON-significant characters) and feeds the result to the parser. Anything but acceptance
 * or one clean SparsejException line is a finding: the input is saved and counted.
 *
 * <p>Run: {@code mvn -B -o test -Dtest=ParserFuzzTest -Dsparsej.excludedGroups=none -Dsparsej.fuzz.seconds=60}
 * (see docs/formats.md); the findings go to target/fuzz-findings, and inputs that produced a new error message
 * can be kept as regression corpus with -Dsparsej.fuzz.corpus=DIR.
 */
public final class ParserFuzzer {
  private static final long[] INTERESTING = {0, 1, -1, 2, 7, 8, 31, 32, 33, 127, 128, 255, 256, 0x7fff, 0x8000,
      0xffff, 0x7fffffffL, 0x80000000L, 0xffffffffL, 1L << 32, Long.MAX_VALUE, Long.MIN_VALUE};
  private static final byte[] JSON_BYTES = "{}[]\",:0-9eE.\\ ntf".getBytes(StandardCharsets.US_ASCII);

  /** What a fuzzing session did. */
  public record Report(Target target, long runs, long accepted, int distinctErrors, int findings, Path findingsDir) {}

  private ParserFuzzer() {}

  public static Report fuzz(Target target, long seconds, long seed, Path findingsDir, Path corpusDir)
      throws IOException {
    Path seeds = Files.createTempDirectory("sparsej-fuzz-seeds");
    Path work = Files.createTempDirectory("sparsej-fuzz-work");
    FuzzTargets.writeSeeds(seeds);
    byte[] seedBytes = Files.readAllBytes(FuzzTargets.seedFile(target, seeds));
    FuzzTargets.companions(target, seeds, work);
    SplittableRandom random = new SplittableRandom(seed);
    Set<String> errors = new HashSet<>();
    long runs = 0;
    long accepted = 0;
    int findings = 0;
    long deadline = System.nanoTime() + seconds * 1_000_000_000L;
    try (Backend backend = FuzzTargets.backend()) {
      Path input = work.resolve(target.fileName);
      // The unmutated seed must be accepted, or the fuzzer tests nothing.
      Files.write(input, seedBytes);
      FuzzTargets.Outcome seedResult = FuzzTargets.run(target, work, backend);
      if (seedResult.problem() != null || seedResult.message() != null) {
        throw new IllegalStateException("seed input is not accepted: " + seedResult);
      }
      while (System.nanoTime() < deadline) {
        byte[] mutated = mutate(seedBytes, random);
        Files.write(input, mutated);
        runs++;
        FuzzTargets.Outcome outcome = FuzzTargets.run(target, work, backend);
        String problem = outcome.problem();
        if (problem != null) {
          findings++;
          Files.createDirectories(findingsDir);
          Path saved = findingsDir.resolve(target.name().toLowerCase() + "-" + seed + "-" + runs + ".bin");
          Files.write(saved, mutated);
          System.err.println("FINDING " + saved + ": " + problem);
        } else if (outcome.message() == null) {
          accepted++;
        } else {
          recordError(target, outcome.message(), errors, corpusDir, mutated);
        }
      }
    }
    return new Report(target, runs, accepted, errors.size(), findings, findingsDir);
  }

  /** Records a new kind of error message, and keeps its input as corpus if asked. */
  private static void recordError(Target target, String message, Set<String> errors, Path corpusDir, byte[] input)
      throws IOException {
    String kind = message.replaceAll("[0-9]+", "N").replaceAll("'[^']*'", "'X'");
    if (errors.add(kind) && corpusDir != null) {
      Files.createDirectories(corpusDir);
      Files.write(corpusDir.resolve(target.name().toLowerCase() + "-" + errors.size() + ".bin"), input);
    }
  }

  static byte[] mutate(byte[] seed, SplittableRandom r) {
    byte[] b = seed.clone();
    int n = 1 + r.nextInt(4);
    for (int i = 0; i < n; i++) {
      int at = b.length == 0 ? 0 : r.nextInt(b.length);
      switch (r.nextInt(9)) {
        case 0:
          if (b.length > 0) {
            b[at] ^= (byte) (1 << r.nextInt(8));
          }
          break;
        case 1:
          if (b.length > 0) {
            b[at] = (byte) INTERESTING[r.nextInt(INTERESTING.length)];
          }
          break;
        case 2:
        case 3: {  // an interesting little-endian integer over a field, biased to the header
          int width = r.nextBoolean() ? 4 : 8;
          int pos = r.nextInt(Math.max(1, Math.min(b.length, r.nextBoolean() ? 512 : b.length) - width + 1));
          long v = r.nextInt(4) == 0 ? b.length + r.nextInt(-64, 64) : INTERESTING[r.nextInt(INTERESTING.length)];
          for (int k = 0; k < width && pos + k < b.length; k++) {
            b[pos + k] = (byte) (v >>> (8 * k));
          }
          break;
        }
        case 4:
          b = Arrays.copyOf(b, r.nextInt(b.length + 1));
          break;
        case 5: {
          int extra = r.nextInt(64);
          byte[] longer = Arrays.copyOf(b, b.length + extra);
          for (int k = b.length; k < longer.length; k++) {
            longer[k] = (byte) r.nextInt(256);
          }
          b = longer;
          break;
        }
        case 6: {  // delete a chunk
          if (b.length > 2) {
            int len = 1 + r.nextInt(Math.min(64, b.length - at));
            byte[] shorter = new byte[b.length - len];
            System.arraycopy(b, 0, shorter, 0, at);
            System.arraycopy(b, at + len, shorter, at, b.length - at - len);
            b = shorter;
          }
          break;
        }
        case 7: {  // duplicate a chunk
          if (b.length > 0) {
            int len = 1 + r.nextInt(Math.min(64, b.length - at));
            byte[] longer = new byte[b.length + len];
            System.arraycopy(b, 0, longer, 0, at + len);
            System.arraycopy(b, at, longer, at + len, b.length - at);
            b = longer;
          }
          break;
        }
        default:
          if (b.length > 0) {
            b[at] = JSON_BYTES[r.nextInt(JSON_BYTES.length)];
          }
      }
    }
    return b;
  }

  public static void main(String[] args) throws IOException {
    long seconds = args.length > 0 ? Long.parseLong(args[0]) : 60;
    long seed = args.length > 1 ? Long.parseLong(args[1]) : 1;
    int failures = 0;
    for (Target t : Target.values()) {
      Report r = fuzz(t, seconds, seed, Path.of("target", "fuzz-findings"), null);
      System.out.println(r);
      failures += r.findings();
    }
    System.exit(failures == 0 ? 0 : 1);
  }
}
