package org.sparsej.testing;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** The command line that runs {@code sparsej ARGS} in a child JVM with the test's own classpath. */
public final class ChildJvm {
  private ChildJvm() {}

  public static List<String> sparsej(List<String> args) {
    List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-cp", System.getProperty("java.class.path"), "org.sparsej.cli.Main"));
    cmd.addAll(args);
    return cmd;
  }

  public static List<String> sparsej(String... args) {
    return sparsej(List.of(args));
  }
}
