import java.io.PrintWriter;
import java.util.Arrays;
import org.junit.platform.engine.discovery.DiscoverySelectors;
import org.junit.platform.engine.TestExecutionResult;
import org.junit.platform.launcher.Launcher;
import org.junit.platform.launcher.LauncherDiscoveryRequest;
import org.junit.platform.launcher.TestExecutionListener;
import org.junit.platform.launcher.TestIdentifier;
import org.junit.platform.launcher.core.LauncherDiscoveryRequestBuilder;
import org.junit.platform.launcher.core.LauncherFactory;
import org.junit.platform.launcher.listeners.SummaryGeneratingListener;
import org.junit.platform.launcher.listeners.TestExecutionSummary;

/**
 * Runs the named JUnit test classes and fails unless every test ran and passed: on the GPU machine a skipped
 * (aborted) GPU test is a failure. Used by ci/cuda-device-check.sh, where there is no Maven.
 */
public final class CudaTestMain {
  private CudaTestMain() {}

  public static void main(String[] classes) {
    LauncherDiscoveryRequest request = LauncherDiscoveryRequestBuilder.request()
        .selectors(Arrays.stream(classes).map(DiscoverySelectors::selectClass).toList()).build();
    SummaryGeneratingListener listener = new SummaryGeneratingListener();
    Launcher launcher = LauncherFactory.create();
    // One line per test that did not pass, with its reason: a skip (assumption) there says why the GPU was refused.
    TestExecutionListener reasons = new TestExecutionListener() {
      @Override
      public void executionFinished(TestIdentifier test, TestExecutionResult result) {
        if (test.isTest() && result.getStatus() != TestExecutionResult.Status.SUCCESSFUL) {
          System.out.println(result.getStatus() + " " + test.getDisplayName() + ": "
              + result.getThrowable().map(Throwable::getMessage).orElse(""));
        }
      }
    };
    launcher.execute(request, listener, reasons);
    TestExecutionSummary s = listener.getSummary();
    PrintWriter out = new PrintWriter(System.out, true);
    s.printTo(out);
    s.printFailuresTo(out, 30);
    long bad = s.getTotalFailureCount() + s.getTestsAbortedCount();
    out.println(bad == 0 && s.getTestsSucceededCount() > 0 ? "JAVA GPU TESTS PASS" : "JAVA GPU TESTS FAIL");
    System.exit(bad == 0 && s.getTestsSucceededCount() > 0 ? 0 : 1);
  }
}
