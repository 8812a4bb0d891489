package tickflow.bench.flink;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import java.io.BufferedReader;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;

/**
 * One pass over a tick file before the clock starts: how many ticks it
 * holds, and how far the stream runs ahead of the ticks tickflow accepts.
 *
 * tickflow keeps a watermark per symbol, Flink one per source over all
 * symbols. A feed where one symbol's event time runs ahead of the others
 * (tickflow gen's busiest symbol does: its timestamps must rise by a
 * millisecond per tick, so above 1000 ticks/s it pulls ahead of the clock)
 * would have Flink drop most other symbols' rows as late. `skewMs` is the
 * smallest lateness at which Flink's single watermark drops no tick that
 * tickflow accepts with `latenessMs`: the largest gap between the highest
 * timestamp read so far and an accepted tick, `latenessMs` at least.
 */
final class FeedScan {
  final long ticks;
  final long skewMs;

  private FeedScan(long ticks, long skewMs) {
    this.ticks = ticks;
    this.skewMs = skewMs;
  }

  static FeedScan of(Path file, long latenessMs) throws IOException {
    JsonFactory json = new JsonFactory();
    Map<String, Long> symbolMax = new HashMap<>();
    long ticks = 0;
    long max = Long.MIN_VALUE;
    long skew = latenessMs;
    try (BufferedReader in = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
      for (String line = in.readLine(); line != null; line = in.readLine()) {
        if (line.isBlank()) continue;
        ticks++;
        String symbol = null;
        long ts = Long.MIN_VALUE;
        try (JsonParser p = json.createParser(line)) {
          if (p.nextToken() != JsonToken.START_OBJECT) continue;
          while (p.nextToken() == JsonToken.FIELD_NAME) {
            String name = p.currentName();
            JsonToken value = p.nextToken();
            if (name.equals("symbol") && value == JsonToken.VALUE_STRING) symbol = p.getText();
            else if (name.equals("timestamp") && value == JsonToken.VALUE_NUMBER_INT) ts = p.getLongValue();
            else p.skipChildren();
          }
        } catch (IOException unparsable) {
          continue;
        }
        if (symbol == null || ts == Long.MIN_VALUE) continue;
        Long seen = symbolMax.get(symbol);
        if (seen != null && ts < seen - latenessMs) continue; // late for tickflow as well
        if (seen == null || ts > seen) symbolMax.put(symbol, ts);
        if (max != Long.MIN_VALUE) skew = Math.max(skew, max - ts);
        max = Math.max(max, ts);
      }
    }
    return new FeedScan(ticks, skew);
  }
}
