package org.sparsej.spark;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.spark.SparkFiles;
import org.sparsej.api.Model;
import org.sparsej.api.ModelException;

/**
 * The models loaded in this JVM (an executor, or the driver in local mode): each loaded once, on first use, and
 * shared by every task that asks for the same path, backend, threads and slots. They live as long as the JVM
 * (executors exit with their application); a load that failed is remembered so that retried tasks fail at once
 * with the same message.
 */
final class ExecutorModels {
  private record Key(String path, String backend, int threads, int slots) { }

  private static final Map<Key, Object> MODELS = new ConcurrentHashMap<>();  // a Model or the load's failure

  private ExecutorModels() { }

  /** The shared model for these options, loading it the first time; throws {@link ModelLoadException}. */
  static Model get(SparkOptions o) {
    Key key = new Key(o.modelPath(), o.backend(), o.threadsPerExecutor(), o.slots());
    Object m = MODELS.computeIfAbsent(key, k -> load(o));
    if (m instanceof ModelLoadException e) {
      throw new ModelLoadException(e.getMessage(), e);  // a new one per task, so stack traces stay apart
    }
    return (Model) m;
  }

  private static Object load(SparkOptions o) {
    Path path = resolve(o.modelPath());
    try {
      return Model.load(path, o.modelOptions());
    } catch (ModelException e) {
      String why = e.getMessage() == null ? e.toString() : e.getMessage();
      if (why.startsWith(path + ": ")) {  // the loader names the path itself
        why = why.substring(path.toString().length() + 2);
      }
      return new ModelLoadException("sparsej: cannot load the model " + path + ": " + why, e);
    }
  }

  /** A path as given if it exists here, else a file of that name shipped with --files / addFile. */
  static Path resolve(String modelPath) {
    Path given = Path.of(modelPath);
    if (Files.exists(given)) {
      return given;
    }
    String shipped = shippedFile(given.getFileName() == null ? modelPath : given.getFileName().toString());
    return shipped != null && Files.exists(Path.of(shipped)) ? Path.of(shipped) : given;
  }

  private static String shippedFile(String name) {
    try {
      return SparkFiles.get(name);
    } catch (RuntimeException e) {  // no SparkEnv (outside a Spark JVM): nothing was shipped
      return null;
    }
  }

  /** Closes every model of this JVM (tests, and drivers that run local jobs and go on). */
  static synchronized void closeAll() {
    for (Object m : MODELS.values()) {
      if (m instanceof Model model) {
        model.close();
      }
    }
    MODELS.clear();
  }

  /** The model could not be loaded: the message names the path and why; it fails the task, so the job. */
  static final class ModelLoadException extends RuntimeException {
    ModelLoadException(String message, Throwable cause) {
      super(message, cause);
    }
  }
}
