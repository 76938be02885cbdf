package org.sparsej.fuzz;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Path;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.sparsej.fuzz.FuzzTargets.Target;

/**
 * Fuzzes each parser for -Dsparsej.fuzz.seconds (default 60). Tagged "fuzz": the default test run excludes it;
 * run it with {@code mvn -B -o test -Dtest=ParserFuzzTest -Dsparsej.excludedGroups=none}.
 */
@Tag("fuzz")
class ParserFuzzTest {
  @ParameterizedTest
  @EnumSource(Target.class)
  void noInputCrashesOrLeaksAnUncleanError(Target target) throws IOException {
    long seconds = Long.getLong("sparsej.fuzz.seconds", 60);
    long seed = Long.getLong("sparsej.fuzz.seed", 1);
    String corpus = System.getProperty("sparsej.fuzz.corpus");
    ParserFuzzer.Report r = ParserFuzzer.fuzz(target, seconds, seed, Path.of("target", "fuzz-findings"),
        corpus == null ? null : Path.of(corpus));
    System.out.println("fuzz " + r);
    assertTrue(r.runs() > 0);
    assertEquals(0, r.findings(), "inputs that crashed the parser are in " + r.findingsDir());
  }
}
