/**
 * Implementation details of the monitoring module (the detectors' shared base, the KS distribution,
 * special functions, seeded permutation p-values, sorting, bucket edges, HTML rendering); not public API and subject to change
 * without notice.
 */
package org.sieveml.monitoring.internal;
