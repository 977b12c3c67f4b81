package org.sieveml.retrieval;

class ExactVectorIndexTest extends VectorIndexContractTest {
  @Override
  VectorIndex create(int dimension, VectorMetric metric) {
    return ExactVectorIndex.create(dimension, metric);
  }
}
