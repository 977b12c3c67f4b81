package org.sieveml.micrometer.internal;

import java.util.ArrayList;
import java.util.Collection;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.sieveml.core.pipeline.Stage;

/**
 * Maps a telemetry metric name to a Micrometer meter name and tags.
 *
 * <p>A pipeline named {@code p} records {@code p.request}, {@code p.stage.<stage>} and
 * {@code p.generator.<generator>} latencies and {@code p.requests|errors|empty|degraded} and
 * {@code p.degraded.<stage>} counters; a name is taken as a pipeline's only when the telemetry also has
 * the latency {@code p.request}, so a host's own {@code foo.errors} is never mistaken for one. Every
 * other name maps to {@code sieveml.telemetry.latency|count|gauge} with its raw name in the tag
 * {@code metric} (one meter name per kind, so the tag keys of a meter name never vary, as Prometheus
 * requires).
 *
 * <p>Immutable and thread-safe.
 */
public final class MeterNames {

  /** A meter's name and its SieveML tags (key, value, key, value ...). */
  public record Id(String name, List<String> tags) {
    /**
     * Validates.
     *
     * @param name meter name
     * @param tags alternating keys and values
     */
    public Id {
      tags = List.copyOf(tags);
    }
  }

  private static final Set<String> STAGES = new HashSet<>();

  static {
    for (Stage s : Stage.values()) {
      STAGES.add(s.metricName());
    }
  }

  private static final Set<String> PIPELINE_COUNTERS = Set.of("requests", "errors", "empty", "degraded");

  private final List<String> pipelines;

  /**
   * Creates a mapping for the metrics of one telemetry.
   *
   * @param latencyNames the telemetry's latency metric names (pipelines are found from them)
   */
  public MeterNames(Collection<String> latencyNames) {
    List<String> p = new ArrayList<>();
    for (String n : latencyNames) {
      if (n.endsWith(".request") && n.length() > ".request".length()) {
        p.add(n.substring(0, n.length() - ".request".length()));
      }
    }
    // longest first, so that pipeline "a.b" wins over pipeline "a" for "a.b.stage.scoring"
    p.sort((x, y) -> Integer.compare(y.length(), x.length()));
    this.pipelines = List.copyOf(p);
  }

  /**
   * The meter of a latency metric.
   *
   * @param metric the telemetry name
   * @return the meter's name and tags
   */
  public Id latency(String metric) {
    for (String p : pipelines) {
      if (!metric.startsWith(p + ".")) {
        continue;
      }
      String rest = metric.substring(p.length() + 1);
      if (rest.equals("request")) {
        return new Id("sieveml.pipeline.request.latency", List.of("pipeline", p));
      }
      if (rest.startsWith("stage.") && STAGES.contains(rest.substring("stage.".length()))) {
        return new Id("sieveml.pipeline.stage.latency", List.of("pipeline", p, "stage", rest.substring(6)));
      }
      if (rest.startsWith("generator.") && rest.length() > "generator.".length()) {
        return new Id("sieveml.pipeline.generator.latency",
            List.of("pipeline", p, "generator", rest.substring("generator.".length())));
      }
    }
    return new Id("sieveml.telemetry.latency", List.of("metric", metric));
  }

  /**
   * The meter of a counter.
   *
   * @param metric the telemetry name
   * @return the meter's name and tags
   */
  public Id counter(String metric) {
    for (String p : pipelines) {
      if (!metric.startsWith(p + ".")) {
        continue;
      }
      String rest = metric.substring(p.length() + 1);
      if (PIPELINE_COUNTERS.contains(rest)) {
        return new Id("sieveml.pipeline." + rest, List.of("pipeline", p));
      }
      if (rest.startsWith("degraded.") && STAGES.contains(rest.substring("degraded.".length()))) {
        return new Id("sieveml.pipeline.stage.degraded",
            List.of("pipeline", p, "stage", rest.substring("degraded.".length())));
      }
    }
    return new Id("sieveml.telemetry.count", List.of("metric", metric));
  }

  /**
   * The meter of a gauge.
   *
   * @param metric the telemetry name
   * @return the meter's name and tags
   */
  public Id gauge(String metric) {
    return new Id("sieveml.telemetry.gauge", List.of("metric", metric));
  }
}
