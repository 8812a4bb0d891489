package tickflow.bench.flink;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import java.io.BufferedReader;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;

/**
 * A tick file held in memory, column by column, for the paced source: read
 * before its clock starts so that parsing never delays a send. Only the
 * fields the queries read are kept; a line that is not a tick with a
 * symbol, an event type and a timestamp is skipped.
 */
final class TickFile {
  final String[] symbol;
  final String[] eventType;
  final long[] timestamp;
  final double[] price;   // NaN when absent
  final long[] volume;    // 0 when absent, as tickflow takes it
  final double[] bid;
  final double[] ask;
  final int size;

  private TickFile(List<Object[]> rows) {
    size = rows.size();
    symbol = new String[size];
    eventType = new String[size];
    timestamp = new long[size];
    price = new double[size];
    volume = new long[size];
    bid = new double[size];
    ask = new double[size];
    for (int i = 0; i < size; i++) {
      Object[] r = rows.get(i);
      symbol[i] = (String) r[0];
      eventType[i] = (String) r[1];
      timestamp[i] = (Long) r[2];
      price[i] = (Double) r[3];
      volume[i] = (Long) r[4];
      bid[i] = (Double) r[5];
      ask[i] = (Double) r[6];
    }
  }

  /**
   * Reads the file. With sortByTime the ticks come back in timestamp order
   * (stable, so each symbol's own order is kept): tickflow gen's feed is in
   * order per symbol but a few milliseconds out of order across symbols,
   * which a watermark with no lateness would drop.
   */
  static TickFile read(Path file, boolean sortByTime) throws IOException {
    JsonFactory json = new JsonFactory();
    List<Object[]> rows = new ArrayList<>();
    try (BufferedReader in = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
      for (String line = in.readLine(); line != null; line = in.readLine()) {
        if (line.isBlank()) continue;
        Object[] row = parse(json, line);
        if (row != null) rows.add(row);
      }
    }
    if (sortByTime) rows.sort(Comparator.comparingLong(r -> (Long) r[2]));
    return new TickFile(rows);
  }

  private static Object[] parse(JsonFactory json, String line) {
    Object[] row = {null, null, null, Double.NaN, 0L, Double.NaN, Double.NaN};
    try (JsonParser p = json.createParser(line)) {
      if (p.nextToken() != JsonToken.START_OBJECT) return null;
      while (p.nextToken() == JsonToken.FIELD_NAME) {
        String name = p.currentName();
        JsonToken value = p.nextToken();
        switch (name) {
          case "symbol": if (value == JsonToken.VALUE_STRING) row[0] = p.getText(); break;
          case "event_type": if (value == JsonToken.VALUE_STRING) row[1] = p.getText(); break;
          case "timestamp": if (value == JsonToken.VALUE_NUMBER_INT) row[2] = p.getLongValue(); break;
          case "price": if (value.isNumeric()) row[3] = p.getDoubleValue(); break;
          case "volume": if (value == JsonToken.VALUE_NUMBER_INT) row[4] = p.getLongValue(); break;
          case "bid": if (value.isNumeric()) row[5] = p.getDoubleValue(); break;
          case "ask": if (value.isNumeric()) row[6] = p.getDoubleValue(); break;
          default: p.skipChildren();
        }
      }
    } catch (IOException e) {
      return null;
    }
    return row[0] == null || row[1] == null || row[2] == null ? null : row;
  }

  /** Event time the file covers, first to last tick plus one millisecond: the shift for each repeat of it. */
  long span() {
    if (size == 0) return 0;
    long[] sorted = Arrays.copyOf(timestamp, size);
    Arrays.sort(sorted);
    return sorted[size - 1] - sorted[0] + 1;
  }
}
