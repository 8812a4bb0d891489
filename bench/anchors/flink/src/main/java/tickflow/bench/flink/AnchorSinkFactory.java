package tickflow.bench.flink;

import java.util.Set;
import org.apache.flink.configuration.ConfigOption;
import org.apache.flink.configuration.ConfigOptions;
import org.apache.flink.table.catalog.ResolvedSchema;
import org.apache.flink.table.connector.ChangelogMode;
import org.apache.flink.table.connector.sink.DynamicTableSink;
import org.apache.flink.table.connector.sink.SinkFunctionProvider;
import org.apache.flink.table.factories.DynamicTableSinkFactory;
import org.apache.flink.table.factories.FactoryUtil;

/**
 * The `tickflow-anchor` connector: a table sink that counts rows and alerts
 * and, for rows that carry an intended send time, records their latency.
 * A table sink (rather than a DataStream one) lets both INSERTs run as one
 * statement set, so the planner reads the ticks once for both queries.
 */
public final class AnchorSinkFactory implements DynamicTableSinkFactory {
  static final String IDENTIFIER = "tickflow-anchor";

  static final ConfigOption<String> OUTPUT = ConfigOptions.key("output").stringType().noDefaultValue()
      .withDescription("bars or trades: which query's rows this table receives");
  static final ConfigOption<String> PATH = ConfigOptions.key("path").stringType().noDefaultValue()
      .withDescription("optional NDJSON file for the records in tickflow's shapes (bars, or trade alerts)");

  @Override
  public String factoryIdentifier() {
    return IDENTIFIER;
  }

  @Override
  public Set<ConfigOption<?>> requiredOptions() {
    return Set.of(OUTPUT);
  }

  @Override
  public Set<ConfigOption<?>> optionalOptions() {
    return Set.of(PATH);
  }

  @Override
  public DynamicTableSink createDynamicTableSink(Context context) {
    FactoryUtil.TableFactoryHelper helper = FactoryUtil.createTableFactoryHelper(this, context);
    helper.validate();
    String output = helper.getOptions().get(OUTPUT);
    AnchorSink.Kind kind;
    switch (output) {
      case "bars": kind = AnchorSink.Kind.BARS; break;
      case "trades": kind = AnchorSink.Kind.TRADES; break;
      default: throw new IllegalArgumentException("option 'output' must be bars or trades, got '" + output + "'");
    }
    ResolvedSchema schema = context.getCatalogTable().getResolvedSchema();
    return new Table(kind, schema.getColumnNames().toArray(new String[0]), helper.getOptions().getOptional(PATH).orElse(null));
  }

  private static final class Table implements DynamicTableSink {
    private final AnchorSink.Kind kind;
    private final String[] columns;
    private final String path;

    Table(AnchorSink.Kind kind, String[] columns, String path) {
      this.kind = kind;
      this.columns = columns;
      this.path = path;
    }

    @Override
    public ChangelogMode getChangelogMode(ChangelogMode requestedMode) {
      return ChangelogMode.insertOnly();
    }

    @Override
    @SuppressWarnings("deprecation") // SinkFunction is what gives a sink accumulators in Flink 1.20.
    public SinkRuntimeProvider getSinkRuntimeProvider(Context context) {
      AnchorSink sink = new AnchorSink(kind, columns, path);
      // One writer keeps the records file whole; without one, the sink runs at the job's parallelism.
      return path == null ? SinkFunctionProvider.of(sink) : SinkFunctionProvider.of(sink, 1);
    }

    @Override
    public DynamicTableSink copy() {
      return new Table(kind, columns, path);
    }

    @Override
    public String asSummaryString() {
      return IDENTIFIER + "(" + kind + ")";
    }
  }
}
