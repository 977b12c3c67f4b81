package org.sieveml.spark;

import java.time.Duration;
import org.apache.spark.sql.SparkSession;
import org.sieveml.core.FeatureSpec;
import org.sieveml.core.FeatureType;
import org.sieveml.features.Aggregation;
import org.sieveml.features.AggregationView;
import org.sieveml.features.Entity;
import org.sieveml.features.FeatureRegistry;
import org.sieveml.features.FeatureService;
import org.sieveml.features.FeatureView;
import org.sieveml.features.OnDemandFeatureView;

/**
 * The tests' Spark session and feature definitions. One {@code local[2]} session per test JVM, with
 * {@code spark.driver.maxResultSize=1m} so that an accidental collect of a dataset fails, and a session
 * time zone other than UTC so that a time conversion through it would show.
 */
final class TestSpark {

  static final Entity USER = Entity.builder("user").joinKey("user_id").build();
  static final long MIN = 60_000L;
  static final long HOUR = 60 * MIN;
  static final long DAY = 24 * HOUR;

  private TestSpark() {}

  static synchronized SparkSession session() {
    return SparkSession.builder().master("local[2]").appName("sieveml-spark-tests")
        .config("spark.driver.maxResultSize", "1m")
        .config("spark.ui.enabled", "false")
        .config("spark.sql.shuffle.partitions", "4")
        .config("spark.sql.session.timeZone", "America/Los_Angeles")
        .config("spark.driver.host", "127.0.0.1")
        .config("spark.driver.bindAddress", "127.0.0.1")
        .getOrCreate();
  }

  /** The definitions, as a host writes them once (driver and tasks both call this). */
  static FeatureRegistry registry() {
    FeatureRegistry r = new FeatureRegistry();
    r.apply(USER);
    r.apply(FeatureView.builder("profile").entity(USER)
        .feature(FeatureSpec.of("score", FeatureType.DOUBLE))
        .feature(FeatureSpec.of("visits", FeatureType.LONG))
        .feature(FeatureSpec.of("active", FeatureType.BOOLEAN))
        .feature(FeatureSpec.of("country", FeatureType.STRING))
        .feature(FeatureSpec.embedding("emb", 3))
        .ttl(Duration.ofHours(6)).build());
    r.apply(AggregationView.builder("txn").entity(USER)
        .input(FeatureSpec.of("amount", FeatureType.DOUBLE))
        .count(Duration.ofMinutes(30))
        .aggregate("amount", Aggregation.SUM, Duration.ofHours(2))
        .aggregate("amount", Aggregation.MAX, Duration.ofDays(1))
        .ttl(Duration.ofDays(1)).build());
    r.apply(OnDemandFeatureView.builder("combo")
        .request(FeatureSpec.of("boost", FeatureType.DOUBLE))
        .input("profile", "score")
        .input("txn", "amount_sum_2h")
        .output(FeatureSpec.of("combo", FeatureType.DOUBLE))
        .transform((in, out) -> {
          if (in.isPresent("profile:score") && in.isPresent("txn:amount_sum_2h")) {
            out.setDouble("combo", in.getDouble("profile:score") * in.getDouble("boost")
                + in.getDouble("txn:amount_sum_2h"));
          }
        }, "v1").build());
    r.apply(FeatureService.builder("all").features("profile").features("txn").features("combo").build());
    r.apply(FeatureService.builder("plain").features("profile", "score", "visits").build());
    return r;
  }
}
