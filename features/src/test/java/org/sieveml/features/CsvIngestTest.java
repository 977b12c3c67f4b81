package org.sieveml.features;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.sieveml.core.EntityKey;
import org.sieveml.core.FeatureFrame;

class CsvIngestTest {

  @TempDir
  Path dir;

  @Test
  void loadsTypedRowsAndRefusesABadFileWholesale() throws Exception {
    FeatureStoreTest.World w = new FeatureStoreTest.World(Duration.ZERO);
    Path good = dir.resolve("profile.csv");
    Files.writeString(good, String.join("\n",
        "user_id,event_timestamp,created_timestamp,score,visits,country,ignored",
        "u1,2024-05-01T00:00:00Z,,1.5,3,\"Germany, Berlin\",x",
        "u2,1714521600000,1714521600005,,7,\"say \"\"hi\"\"\",y",
        ""), StandardCharsets.UTF_8);
    assertEquals(2, w.store.ingestCsv("profile", good));
    long t = Instant.parse("2024-05-02T00:00:00Z").toEpochMilli();
    TrainingData td = w.store.getHistoricalFeatures(EntityRows.of(List.of(EntityKey.of("user_id", "u1"),
        EntityKey.of("user_id", "u2")), new long[] {t, t}, null), w.service);
    FeatureFrame f = td.frame();
    assertEquals(1.5, f.asDouble(0, f.schema().indexOf("score")));
    assertEquals("Germany, Berlin", f.getString(0, f.schema().indexOf("country")));
    org.junit.jupiter.api.Assertions.assertFalse(f.isPresent(1, f.schema().indexOf("score")),
        "an empty field is a missing value; the row matched, so the default does not apply");
    assertEquals("say \"hi\"", f.getString(1, f.schema().indexOf("country")));

    Path bad = dir.resolve("bad.csv");
    Files.writeString(bad, String.join("\n",
        "user_id,event_timestamp,score,visits,country",
        "u3,1714521600000,2.0,1,A",
        "u4,1714521600000,abc,1,B"), StandardCharsets.UTF_8);
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> w.store.ingestCsv("profile", bad));
    assertTrue(e.getMessage().contains("line 3") && e.getMessage().contains("'score'")
        && e.getMessage().contains("'abc'"), e.getMessage());
    Path noColumn = dir.resolve("nocol.csv");
    Files.writeString(noColumn, "user_id,event_timestamp,score\nu5,1,1.0\n", StandardCharsets.UTF_8);
    e = assertThrows(IllegalArgumentException.class, () -> w.store.ingestCsv("profile", noColumn));
    assertTrue(e.getMessage().contains("'visits'"), e.getMessage());
    Path nan = dir.resolve("nan.csv");
    Files.writeString(nan, "user_id,event_timestamp,score,visits,country\nu6,1,NaN,1,A\n", StandardCharsets.UTF_8);
    e = assertThrows(IllegalArgumentException.class, () -> w.store.ingestCsv("profile", nan));
    assertTrue(e.getMessage().contains("finite"), e.getMessage());
    TrainingData after = w.store.getHistoricalFeatures(EntityRows.of(List.of(EntityKey.of("user_id", "u3")),
        new long[] {t}, null), w.service);
    assertEquals(1, after.unmatched("score"), "the bad file appended nothing, not even its good first row");
  }
}
