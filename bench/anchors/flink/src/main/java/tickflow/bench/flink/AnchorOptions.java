package tickflow.bench.flink;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;

/** The job's command line, checked once at start-up; a bad option fails with a line naming it. */
final class AnchorOptions {
  enum Mode { THROUGHPUT, LATENCY }

  /** Raised for a bad command line; the message is printed as it is. */
  static final class BadOption extends RuntimeException {
    private static final long serialVersionUID = 1L;

    BadOption(String message) {
      super(message);
    }
  }

  static final String USAGE = String.join("\n",
      "usage: FlinkAnchor --mode throughput|latency --ticks-file F [options]",
      "  --parallelism P   operator parallelism of the SQL job (default 1)",
      "  --lateness-ms N   tickflow's per-symbol lateness to match (default 5000 for throughput, 0 for",
      "                    latency); throughput mode widens Flink's one watermark to the feed's skew",
      "  --buffer-timeout-ms N  longest a record waits in a network buffer between tasks",
      "                    (default 100, Flink's, for throughput; 0, flush every record, for latency)",
      "  --rate N          latency: ticks per second offered, open loop (default 10000)",
      "  --duration S      latency: seconds measured (default 60)",
      "  --warmup S        latency: seconds sent before measuring starts (default 0)",
      "  --hgrm F          latency: write the histogram's percentile distribution (microseconds) to F",
      "  --records DIR     write final 1m bars and trade alerts as NDJSON to DIR/bars.ndjson, DIR/alerts.ndjson");

  private static final Set<String> KNOWN = Set.of("--mode", "--ticks-file", "--parallelism", "--lateness-ms", "--rate",
      "--duration", "--warmup", "--hgrm", "--records", "--buffer-timeout-ms");

  final Mode mode;
  final Path ticksFile;
  final int parallelism;
  final long latenessMs;
  final long bufferTimeoutMs;
  final double rate;
  final double durationS;
  final double warmupS;
  final Path hgrm;
  final Path records;

  private AnchorOptions(Map<String, String> given) {
    String modeText = given.get("--mode");
    if (modeText == null) throw new BadOption("--mode is required: throughput or latency");
    switch (modeText) {
      case "throughput": mode = Mode.THROUGHPUT; break;
      case "latency": mode = Mode.LATENCY; break;
      default: throw new BadOption("--mode must be throughput or latency, got \"" + modeText + "\"");
    }
    String file = given.get("--ticks-file");
    if (file == null) throw new BadOption("--ticks-file is required: an NDJSON file written by tickflow gen");
    ticksFile = Path.of(file).toAbsolutePath();
    if (!Files.isReadable(ticksFile)) throw new BadOption("--ticks-file must be a readable file, got \"" + file + "\"");
    parallelism = (int) number(given, "--parallelism", 1, 1, 256, true);
    latenessMs = (long) number(given, "--lateness-ms", mode == Mode.THROUGHPUT ? 5000 : 0, 0, 86_400_000, true);
    bufferTimeoutMs = (long) number(given, "--buffer-timeout-ms", mode == Mode.THROUGHPUT ? 100 : 0, 0, 60_000, true);
    rate = number(given, "--rate", 10_000, 1, 10_000_000, false);
    durationS = number(given, "--duration", 60, 0.001, 86_400, false);
    warmupS = number(given, "--warmup", 0, 0, 86_400, false);
    hgrm = given.containsKey("--hgrm") ? Path.of(given.get("--hgrm")).toAbsolutePath() : null;
    records = given.containsKey("--records") ? Path.of(given.get("--records")).toAbsolutePath() : null;
  }

  static AnchorOptions parse(String[] args) {
    Map<String, String> given = new HashMap<>();
    for (int i = 0; i < args.length; i += 2) {
      String name = args[i];
      if (!KNOWN.contains(name)) throw new BadOption("unknown option \"" + name + "\"\n" + USAGE);
      if (i + 1 >= args.length) throw new BadOption(name + " needs a value");
      given.put(name, args[i + 1]);
    }
    return new AnchorOptions(given);
  }

  private static double number(Map<String, String> given, String name, double fallback, double min, double max,
      boolean integer) {
    String text = given.get(name);
    if (text == null) return fallback;
    double value;
    try {
      value = Double.parseDouble(text);
    } catch (NumberFormatException e) {
      value = Double.NaN;
    }
    boolean ok = Double.isFinite(value) && value >= min && value <= max && (!integer || value == Math.rint(value));
    if (!ok) {
      throw new BadOption(name + " must be " + (integer ? "an integer" : "a number") + " in [" + fmt(min) + ", "
          + fmt(max) + "], got \"" + text + "\"");
    }
    return value;
  }

  private static String fmt(double v) {
    return v == Math.rint(v) ? Long.toString((long) v) : Double.toString(v);
  }

  /** Ticks the paced source sends: warm-up and measured part together. */
  long pacedTicks() {
    return Math.round((warmupS + durationS) * rate);
  }

  /** Ticks of the warm-up, sent but not measured. */
  long warmupTicks() {
    return Math.round(warmupS * rate);
  }
}
