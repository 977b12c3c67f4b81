package org.sieveml.features;

import org.sieveml.core.FeatureSchema;
import org.sieveml.core.FeatureSpec;
import org.sieveml.core.FeatureType;

final class FeatureSchemaFixtures {
  private FeatureSchemaFixtures() {}

  static FeatureSchema other() {
    return FeatureSchema.of(FeatureSpec.of("something_else", FeatureType.DOUBLE));
  }
}
