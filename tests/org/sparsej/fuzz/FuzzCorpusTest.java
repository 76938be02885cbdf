package org.sparsej.fuzz;

import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.sparsej.backend.Backend;
import org.sparsej.fuzz.FuzzTargets.Target;

/**
 * The fuzzers' regression corpus (tests/corpus/PARSER/*.bin): inputs that once crashed a parser or gave an unclean
 * error, and inputs that reach distinct error paths. Each must now be accepted or refused with one clean line.
 */
class FuzzCorpusTest {
  private static Path seeds;

  @BeforeAll
  static void seeds(@TempDir Path dir) throws IOException {
    seeds = dir;
    FuzzTargets.writeSeeds(dir);
  }

  static Stream<Arguments> corpus() throws IOException {
    List<Arguments> out = new java.util.ArrayList<>();
    for (Target t : Target.values()) {
      Path d = Path.of("tests", "corpus", t.name().toLowerCase());
      try (Stream<Path> files = Files.list(d)) {
        files.sorted().forEach(f -> out.add(Arguments.of(t, f)));
      }
    }
    assertTrue(out.size() >= 15, "corpus too small: " + out.size());
    return out.stream();
  }

  @ParameterizedTest(name = "{0} {1}")
  @MethodSource("corpus")
  void cleanOutcome(Target target, Path input, @TempDir Path work) throws IOException {
    FuzzTargets.companions(target, seeds, work);
    Files.copy(input, work.resolve(target.fileName));
    try (Backend backend = FuzzTargets.backend()) {
      assertNull(FuzzTargets.run(target, work, backend).problem(), input.toString());
    }
  }
}
