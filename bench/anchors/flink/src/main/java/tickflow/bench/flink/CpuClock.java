package tickflow.bench.flink;

import java.lang.management.ManagementFactory;

/** CPU time of the whole JVM (every thread: tasks, timers, JIT, GC), for ticks per CPU-second. */
final class CpuClock {
  private CpuClock() {}

  private static final com.sun.management.OperatingSystemMXBean OS =
      (com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();

  static long processNanos() {
    return OS.getProcessCpuTime();
  }
}
